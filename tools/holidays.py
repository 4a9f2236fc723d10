#!/usr/bin/env python3
"""holidays.py -- write data/holidays/{DE,FR,GB,US,CH}.csv, 2012-2027.

The public holidays a calendar (src/calendar.h) reads, computed rather
than typed: Easter by the Anonymous Gregorian algorithm (Meeus/Jones/
Butcher), weekday rules as the statutes state them, and the one-off days
each country declared in these years listed by name.  Which holidays:

  DE  the nine nationwide holidays (Feiertage of every Land), plus
      Reformation Day 2017 (nationwide once, 500th anniversary).
  FR  the eleven jours fériés of art. L3133-1 Code du travail
      (Whit Monday included).
  GB  England and Wales bank holidays with their substitute days, the
      moved and extra days of 2012, 2020, 2022 and 2023.
  US  the federal holidays of 5 U.S.C. 6103 on their observed dates
      (Saturday -> Friday, Sunday -> Monday); Juneteenth from 2021.
  CH  the canton of Zurich's holidays (federal 1 August and the days
      kept there); other cantons differ: give the calendar its own file.

Run: python3 tools/holidays.py data/holidays
"""
import datetime as dt
import os
import sys

FIRST, LAST = 2012, 2027
D = dt.date


def easter(year):
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return D(year, month, day)


def nth_weekday(year, month, weekday, n):
    """n-th (1-based; -1: last) weekday (0 = Monday) of a month."""
    if n > 0:
        first = D(year, month, 1)
        shift = (weekday - first.weekday()) % 7
        return first + dt.timedelta(days=shift + 7 * (n - 1))
    nxt = D(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def days(n):
    return dt.timedelta(days=n)


def germany(year):
    e = easter(year)
    out = [(D(year, 1, 1), "Neujahr"), (e - days(2), "Karfreitag"),
           (e + days(1), "Ostermontag"), (D(year, 5, 1), "Tag der Arbeit"),
           (e + days(39), "Christi Himmelfahrt"),
           (e + days(50), "Pfingstmontag"),
           (D(year, 10, 3), "Tag der Deutschen Einheit"),
           (D(year, 12, 25), "1. Weihnachtstag"),
           (D(year, 12, 26), "2. Weihnachtstag")]
    if year == 2017:
        out.append((D(2017, 10, 31), "Reformationstag (500 Jahre)"))
    return out


def france(year):
    e = easter(year)
    return [(D(year, 1, 1), "Jour de l'an"), (e + days(1), "Lundi de Pâques"),
            (D(year, 5, 1), "Fête du Travail"),
            (D(year, 5, 8), "Victoire 1945"),
            (e + days(39), "Ascension"),
            (e + days(50), "Lundi de Pentecôte"),
            (D(year, 7, 14), "Fête nationale"),
            (D(year, 8, 15), "Assomption"), (D(year, 11, 1), "Toussaint"),
            (D(year, 11, 11), "Armistice 1918"), (D(year, 12, 25), "Noël")]


def uk_substitute(date):
    if date.weekday() == 5:
        return date + days(2)
    if date.weekday() == 6:
        return date + days(1)
    return date


def britain(year):
    e = easter(year)
    out = [(uk_substitute(D(year, 1, 1)), "New Year's Day"),
           (e - days(2), "Good Friday"), (e + days(1), "Easter Monday")]
    early_may = nth_weekday(year, 5, 0, 1)
    if year == 2020:
        early_may = D(2020, 5, 8)       # moved for VE Day's 75th
    out.append((early_may, "Early May bank holiday"))
    spring = nth_weekday(year, 5, 0, -1)
    if year == 2012:
        spring = D(2012, 6, 4)
        out.append((D(2012, 6, 5), "Queen's Diamond Jubilee"))
    if year == 2022:
        spring = D(2022, 6, 2)
        out.append((D(2022, 6, 3), "Queen's Platinum Jubilee"))
        out.append((D(2022, 9, 19), "State Funeral of Queen Elizabeth II"))
    if year == 2023:
        out.append((D(2023, 5, 8), "Coronation of King Charles III"))
    out.append((spring, "Spring bank holiday"))
    out.append((nth_weekday(year, 8, 0, -1), "Summer bank holiday"))
    christmas, boxing = D(year, 12, 25), D(year, 12, 26)
    if christmas.weekday() == 5:        # Sat, Sun: Mon and Tue
        christmas, boxing = christmas + days(2), boxing + days(2)
    elif christmas.weekday() == 6:      # Sun, Mon: Tue for Christmas
        christmas = christmas + days(2)
    elif christmas.weekday() == 4:      # Fri, Sat: Mon for Boxing Day
        boxing = boxing + days(2)
    out += [(christmas, "Christmas Day"), (boxing, "Boxing Day")]
    return out


def us_observed(date):
    if date.weekday() == 5:
        return date - days(1)
    if date.weekday() == 6:
        return date + days(1)
    return date


def united_states(year):
    out = [(us_observed(D(year, 1, 1)), "New Year's Day"),
           (nth_weekday(year, 1, 0, 3), "Birthday of Martin Luther King Jr."),
           (nth_weekday(year, 2, 0, 3), "Washington's Birthday"),
           (nth_weekday(year, 5, 0, -1), "Memorial Day")]
    if year >= 2021:
        out.append((us_observed(D(year, 6, 19)),
                    "Juneteenth National Independence Day"))
    out += [(us_observed(D(year, 7, 4)), "Independence Day"),
            (nth_weekday(year, 9, 0, 1), "Labor Day"),
            (nth_weekday(year, 10, 0, 2), "Columbus Day"),
            (us_observed(D(year, 11, 11)), "Veterans Day"),
            (nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
            (us_observed(D(year, 12, 25)), "Christmas Day")]
    # New Year's Day of the next year observed on 31 December
    following = us_observed(D(year + 1, 1, 1))
    if following.year == year:
        out.append((following, "New Year's Day (observed)"))
    return [(date, name) for date, name in out if date.year == year]


def switzerland(year):
    e = easter(year)
    return [(D(year, 1, 1), "Neujahrstag"), (D(year, 1, 2), "Berchtoldstag"),
            (e - days(2), "Karfreitag"), (e + days(1), "Ostermontag"),
            (D(year, 5, 1), "Tag der Arbeit"), (e + days(39), "Auffahrt"),
            (e + days(50), "Pfingstmontag"),
            (D(year, 8, 1), "Bundesfeier"),
            (D(year, 12, 25), "Weihnachtstag"),
            (D(year, 12, 26), "Stephanstag")]


COUNTRIES = {"DE": germany, "FR": france, "GB": britain,
             "US": united_states, "CH": switzerland}


def main(directory):
    for code, rule in COUNTRIES.items():
        rows = sorted(row for year in range(FIRST, LAST + 1)
                      for row in rule(year))
        path = os.path.join(directory, code + ".csv")
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            out.write("# %s public holidays %d-%d, written by "
                      "tools/holidays.py\n" % (code, FIRST, LAST))
            out.write("date,name\n")
            for date, name in rows:
                out.write("%s,%s\n" % (date.isoformat(), name))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/holidays")
