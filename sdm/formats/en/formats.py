"""English dates as British and international readers write them: "4 December 2026".

Django's own English formats are American ("Dec. 4, 2026, 4:06 p.m."). Only the display
formats change; input formats stay Django's. Simplified Chinese uses Django's own
``zh_Hans`` formats ("2026年12月4日"), which are already how Chinese readers write dates.
"""

DATE_FORMAT = "j F Y"  # 4 December 2026
TIME_FORMAT = "H:i"  # 16:06
DATETIME_FORMAT = "j F Y, H:i"  # 4 December 2026, 16:06
SHORT_DATE_FORMAT = "j M Y"  # 4 Dec 2026
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 4 Dec 2026, 16:06
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
