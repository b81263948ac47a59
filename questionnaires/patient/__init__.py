"""The patient journey: where a patient stands (``walk``: one read of a response and one
visibility walk, also used by the submit service), the step forms built from the definition
(``forms``) and the django-formtools wizard that serves them (``wizard``)."""
