// Package speech understands what callers say: days and times ("next
// Tuesday at 2", "the 16th", "noon"), for both agents and the booking tool.
// It knows language, not businesses: settling an unsaid AM or PM with a
// business's hours is the booking package's.
package speech

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// When is a day and optionally a time of day, as a caller said it.
type When struct {
	// Date is midnight of the day, in the location ParseWhen was given.
	Date time.Time
	// DateSaid is false when only a time was said: Date is then today, or
	// tomorrow when that time has already passed today.
	DateSaid bool
	// HasTime reports whether a time of day was said; Hour (0..23) and
	// Minute hold it.
	HasTime      bool
	Hour, Minute int
	// Meridiem reports that AM or PM was said or is certain (noon, 14:30,
	// "in the morning"). Without it Hour is a guess: 7 to 11 are taken as
	// AM and 12 and 1 to 6 as PM; booking.Settle settles it with the
	// business's hours.
	Meridiem bool
}

// Time returns the time of day on Date (midnight without one), built with
// time.Date in Date's location.
func (w When) Time() time.Time {
	d := w.Date
	return time.Date(d.Year(), d.Month(), d.Day(), w.Hour, w.Minute, 0, 0, d.Location())
}

// String renders the When for people: "Tue, Mar 10 at 2:30 PM" or "Tue, Mar 10".
func (w When) String() string {
	if !w.HasTime {
		return w.Date.Format("Mon, Jan 2")
	}
	return w.Time().Format("Mon, Jan 2 at 3:04 PM")
}

// QuestionError is returned for a date or time that cannot be settled
// without the caller: Question is what to ask back, e.g. "Did you mean 2 AM
// or 2 PM?".
type QuestionError struct {
	Question string
}

func (e *QuestionError) Error() string { return e.Question }

func ask(format string, args ...any) error {
	return &QuestionError{Question: fmt.Sprintf(format, args...)}
}

var (
	weekdays = map[string]time.Weekday{
		"sunday": time.Sunday, "sun": time.Sunday,
		"monday": time.Monday, "mon": time.Monday,
		"tuesday": time.Tuesday, "tue": time.Tuesday, "tues": time.Tuesday,
		"wednesday": time.Wednesday, "wed": time.Wednesday, "weds": time.Wednesday,
		"thursday": time.Thursday, "thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday,
		"friday": time.Friday, "fri": time.Friday,
		"saturday": time.Saturday, "sat": time.Saturday,
	}
	months = map[string]time.Month{
		"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
		"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
		"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
		"december": 12, "dec": 12,
	}
	ones = map[string]int{
		"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
		"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
		"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
	}
	tens      = map[string]int{"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
	ordinals1 = map[string]int{
		"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
		"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
		"fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
		"twentieth": 20, "thirtieth": 30,
	}
	reOrdinal = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{1,2})(st|nd|rd|th)$`) })
	reClock   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?(am|pm|a|p)?$`) })
	reSlash   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$`) })
	reISO     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`) })
	reSplit   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(\d)(am|pm|a|p)\b`) })
)

// dateSpec is what was said about the day before it is resolved.
type dateSpec struct {
	kind      int // dsRel, dsWeekday, dsDayOfMonth, dsMonthDay
	rel       int // days from today
	weekday   time.Weekday
	next      bool // "next Tuesday"
	month     time.Month
	day, year int // year 0: unsaid
	said      string
}

const (
	dsRel = iota + 1
	dsWeekday
	dsDayOfMonth
	dsMonthDay
)

type timeSpec struct {
	hour, minute int
	meridiem     bool
	said         string
}

// ParseWhen reads a day and optional time as a caller says them: "today",
// "tomorrow", "the day after tomorrow", "Tuesday", "this Friday", "next
// Tuesday", "the 16th", "October 16" (or "16 October", "Oct 16th, 2026"),
// "10/16" (month first), "2026-10-16"; times "2 pm", "2:30pm", "14:30", "at
// 2", "two thirty", "half past two", "quarter to three", "noon", "midnight",
// "ten in the morning"; and RFC 3339 timestamps. Relative to now (in loc):
//
//   - a weekday alone or with "this" is the next such day, today included;
//     "next Tuesday" is the first Tuesday after today;
//   - a day of the month already past ("the 5th" on the 20th) is next month's
//     (the first month that has it);
//   - a month and day already past, without a year, is next year's; with a
//     year, a past date is a QuestionError;
//   - a time alone is today, or tomorrow when it has passed today.
//
// An unreadable or contradictory input is a *QuestionError whose Question
// can be put to the caller.
func ParseWhen(text string, now time.Time, loc *time.Location) (When, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	s := strings.ToLower(strings.TrimSpace(text))
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(s)); err == nil {
		t = t.In(loc)
		return When{Date: day(t, loc), DateSaid: true, HasTime: true, Hour: t.Hour(), Minute: t.Minute(), Meridiem: true}, nil
	}

	var dates []dateSpec
	if m := reISO().FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if mo < 1 || mo > 12 {
			return When{}, ask("I didn't catch the date %q. Which day would you like?", m[0])
		}
		dates = append(dates, dateSpec{kind: dsMonthDay, month: time.Month(mo), day: d, year: y, said: m[0]})
		s = strings.Replace(s, m[0], " ", 1)
	}
	for _, r := range [][2]string{{"a.m.", " am "}, {"p.m.", " pm "}, {"a. m.", " am "}, {"p. m.", " pm "}, {"o'clock", " oclock "}, {"o’clock", " oclock "}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	s = reSplit().ReplaceAllString(s, "$1 $2")
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == ':', r == '/':
			return r
		}
		return ' '
	}, s)
	var toks []string // the normalized text's words, by the one tokenizer
	for _, f := range Fields(s) {
		toks = append(toks, s[f.Start:f.End])
	}
	var times []timeSpec
	var pmHint, amHint bool

	at := func(i int) string {
		if i >= 0 && i < len(toks) {
			return toks[i]
		}
		return ""
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t == "today":
			dates = append(dates, dateSpec{kind: dsRel, rel: 0, said: "today"})
			continue
		case t == "tonight":
			dates = append(dates, dateSpec{kind: dsRel, rel: 0, said: "tonight"})
			pmHint = true
			continue
		case t == "tomorrow" || t == "tmrw" || t == "tmr":
			if at(i-1) == "after" && at(i-2) == "day" {
				dates = append(dates, dateSpec{kind: dsRel, rel: 2, said: "the day after tomorrow"})
			} else {
				dates = append(dates, dateSpec{kind: dsRel, rel: 1, said: "tomorrow"})
			}
			continue
		case t == "morning":
			amHint = true
			continue
		case t == "afternoon" || t == "evening" || t == "night":
			pmHint = true
			continue
		case t == "noon" || t == "midday":
			times = append(times, timeSpec{hour: 12, meridiem: true, said: "noon"})
			continue
		case t == "midnight":
			times = append(times, timeSpec{hour: 0, meridiem: true, said: "midnight"})
			continue
		}
		if wd, ok := weekdays[t]; ok {
			ds := dateSpec{kind: dsWeekday, weekday: wd, said: wd.String()}
			if p := at(i - 1); p == "next" {
				ds.next, ds.said = true, "next "+wd.String()
			}
			dates = append(dates, ds)
			continue
		}
		if mo, ok := months[t]; ok && (len(t) > 3 && t != "may" || isDayAt(toks, i+1) || isDayAt(toks, i-1)) {
			// October 16 [2026] | 16 October | the 16th of October
			day, n := dayAt(toks, i+1)
			j := i + 1 + n
			if n == 0 {
				k := i - 1
				if at(k) == "of" {
					k--
				}
				if d, m := dayBefore(toks, k); m > 0 {
					day = d
					// "the 16th" was read as a day of the month: it is this
					// month's day.
					if n := len(dates); n > 0 && dates[n-1].kind == dsDayOfMonth && dates[n-1].day == d {
						dates = dates[:n-1]
					}
				}
			}
			if day == 0 {
				return When{}, ask("Which day in %s would you like?", mo)
			}
			ds := dateSpec{kind: dsMonthDay, month: mo, day: day, said: fmt.Sprintf("%s %d", mo, day)}
			if y, err := strconv.Atoi(at(j)); err == nil && len(at(j)) == 4 {
				ds.year = y
				j++
			}
			dates = append(dates, ds)
			i = j - 1
			continue
		}
		if m := reSlash().FindStringSubmatch(t); m != nil {
			mo, _ := strconv.Atoi(m[1])
			d, _ := strconv.Atoi(m[2])
			ds := dateSpec{kind: dsMonthDay, month: time.Month(mo), day: d, said: t}
			if m[3] != "" {
				ds.year, _ = strconv.Atoi(m[3])
				if len(m[3]) == 2 {
					ds.year += 2000
				}
			}
			if mo < 1 || mo > 12 {
				if d >= 1 && d <= 12 && mo <= 31 {
					return When{}, ask("Did you mean %s %d?", time.Month(d), mo)
				}
				return When{}, ask("I didn't catch the date %q. Which day would you like?", t)
			}
			dates = append(dates, ds)
			continue
		}
		if d, n := ordinalAt(toks, i); n > 0 {
			// the 16th | the sixteenth | on the 16
			dates = append(dates, dateSpec{kind: dsDayOfMonth, day: d, said: "the " + ordinalSuffix(d)})
			i += n - 1
			continue
		}
		if at(i) == "the" {
			if d, err := strconv.Atoi(at(i + 1)); err == nil && d >= 1 && d <= 31 && !timeFollows(toks, i+2) {
				dates = append(dates, dateSpec{kind: dsDayOfMonth, day: d, said: "the " + ordinalSuffix(d)})
				i++
				continue
			}
		}
		if ts, n, err := timeAt(toks, i); err != nil {
			return When{}, err
		} else if n > 0 {
			times = append(times, ts)
			i += n - 1
			continue
		}
	}

	if len(dates) == 0 && len(times) == 0 {
		return When{}, ask("I didn't catch a day or time in %q. What day and time would you like?", strings.TrimSpace(text))
	}
	if len(dates) > 1 && !sameDates(dates) {
		return When{}, ask("I heard both %s and %s. Which day did you mean?", dates[0].said, dates[1].said)
	}
	if len(times) > 1 && !sameTimes(times) {
		return When{}, ask("I heard both %s and %s. What time did you mean?", times[0].said, times[1].said)
	}

	var w When
	if len(times) > 0 {
		ts := times[0]
		w.HasTime, w.Hour, w.Minute, w.Meridiem = true, ts.hour, ts.minute, ts.meridiem
		if !w.Meridiem && w.Hour >= 1 && w.Hour <= 12 {
			switch {
			case pmHint && w.Hour < 12:
				w.Hour += 12
				w.Meridiem = true
			case amHint:
				w.Hour %= 12
				w.Meridiem = true
			case w.Hour <= 6:
				w.Hour += 12
			}
		}
	}
	if len(dates) == 0 {
		w.Date = today
		if w.Time().Compare(now) <= 0 {
			w.Date = today.AddDate(0, 0, 1)
		}
		return w, nil
	}
	d, err := resolveDate(dates[0], today)
	if err != nil {
		return When{}, err
	}
	w.Date, w.DateSaid = d, true
	return w, nil
}

func sameDates(ds []dateSpec) bool {
	for _, d := range ds[1:] {
		if d != ds[0] {
			return false
		}
	}
	return true
}

func sameTimes(ts []timeSpec) bool {
	for _, t := range ts[1:] {
		if t.hour != ts[0].hour || t.minute != ts[0].minute {
			return false
		}
	}
	return true
}

func resolveDate(ds dateSpec, today time.Time) (time.Time, error) {
	loc := today.Location()
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }
	switch ds.kind {
	case dsRel:
		return today.AddDate(0, 0, ds.rel), nil
	case dsWeekday:
		n := (int(ds.weekday) - int(today.Weekday()) + 7) % 7
		if ds.next && n == 0 {
			n = 7
		}
		return today.AddDate(0, 0, n), nil
	case dsDayOfMonth:
		if ds.day < 1 || ds.day > 31 {
			return time.Time{}, ask("There's no %s in a month. Which day did you mean?", ordinalSuffix(ds.day))
		}
		for i := 0; i < 12; i++ {
			first := date(today.Year(), today.Month()+time.Month(i), 1)
			d := date(first.Year(), first.Month(), ds.day)
			if d.Month() != first.Month() || d.Before(today) {
				continue
			}
			return d, nil
		}
	case dsMonthDay:
		y := ds.year
		if y == 0 {
			y = today.Year()
		}
		d := date(y, ds.month, ds.day)
		if ds.day < 1 || d.Month() != ds.month {
			return time.Time{}, ask("%s has no %s. Which day did you mean?", ds.month, ordinalSuffix(ds.day))
		}
		if d.Before(today) {
			next := date(today.Year(), ds.month, ds.day)
			if next.Before(today) {
				next = date(today.Year()+1, ds.month, ds.day)
			}
			if ds.year == 0 {
				if next.Month() != ds.month {
					return time.Time{}, ask("%s %d isn't coming up soon. Which day did you mean?", ds.month, ds.day)
				}
				if y == today.Year() {
					return next, nil
				}
			}
			return time.Time{}, ask("%s has passed. Did you mean %s?", d.Format("January 2, 2006"), next.Format("Monday, January 2, 2006"))
		}
		return d, nil
	}
	return time.Time{}, ask("Which day would you like?")
}

func ordinalSuffix(d int) string {
	suf := "th"
	switch {
	case d%100 >= 11 && d%100 <= 13:
	case d%10 == 1:
		suf = "st"
	case d%10 == 2:
		suf = "nd"
	case d%10 == 3:
		suf = "rd"
	}
	return strconv.Itoa(d) + suf
}

// ordinalAt reads an ordinal day at toks[i] ("16th", "sixteenth", "twenty
// first"), with a leading "the" consumed; n is how many tokens it took.
func ordinalAt(toks []string, i int) (int, int) {
	start := i
	if i < len(toks) && toks[i] == "the" {
		i++
	}
	if i >= len(toks) {
		return 0, 0
	}
	t := toks[i]
	if m := reOrdinal().FindStringSubmatch(t); m != nil {
		d, _ := strconv.Atoi(m[1])
		return d, i - start + 1
	}
	if d, ok := ordinals1[t]; ok {
		// "second" and "first" are ordinary words too: only after "the" or
		// beside a month.
		if i == start && (t == "second" || t == "first") {
			return 0, 0
		}
		return d, i - start + 1
	}
	if tn, ok := tens[t]; ok && (tn == 20 || tn == 30) && i+1 < len(toks) {
		if o, ok := ordinals1[toks[i+1]]; ok && o <= 9 && tn+o <= 31 {
			return tn + o, i - start + 2
		}
	}
	return 0, 0
}

// dayAt reads a day after a month name: "16", "16th", "sixteenth", "the 16th".
func dayAt(toks []string, i int) (int, int) {
	if d, n := ordinalAt(toks, i); n > 0 {
		return d, n
	}
	if i < len(toks) {
		if d, err := strconv.Atoi(toks[i]); err == nil && d >= 1 && d <= 31 && len(toks[i]) <= 2 {
			return d, 1
		}
	}
	return 0, 0
}

func isDayAt(toks []string, i int) bool {
	if i < 0 {
		return false
	}
	if _, n := dayAt(toks, i); n > 0 {
		return true
	}
	_, n := dayBefore(toks, i)
	return n > 0
}

// dayBefore reads a day ending at toks[k]: "16", "16th", "sixteenth",
// "twenty first".
func dayBefore(toks []string, k int) (int, int) {
	if k < 0 || k >= len(toks) {
		return 0, 0
	}
	if k >= 1 {
		if d, n := ordinalAt(toks, k-1); n == 2 && toks[k-1] != "the" {
			return d, 2
		}
	}
	if d, n := ordinalAt(toks, k); n == 1 {
		return d, 1
	}
	if d, err := strconv.Atoi(toks[k]); err == nil && d >= 1 && d <= 31 && len(toks[k]) <= 2 {
		return d, 1
	}
	return 0, 0
}

// timeFollows reports whether toks[i] marks the number before it as a time.
func timeFollows(toks []string, i int) bool {
	if i >= len(toks) {
		return false
	}
	switch toks[i] {
	case "am", "pm", "a", "p", "oclock":
		return true
	}
	return false
}

// timeAt reads a time of day at toks[i]; n is the tokens it took, 0 for none.
func timeAt(toks []string, i int) (timeSpec, int, error) {
	at := func(k int) string {
		if k >= 0 && k < len(toks) {
			return toks[k]
		}
		return ""
	}
	cue := slices.Contains([]string{"at", "around", "about", "by", "for", "after", "before"}, at(i-1))
	start := i
	var ts timeSpec
	t := toks[i]
	switch {
	case t == "half" && at(i+1) == "past":
		h, ok := hourWord(at(i + 2))
		if !ok {
			return ts, 0, nil
		}
		ts = timeSpec{hour: h, minute: 30}
		i += 3
	case t == "quarter" && (at(i+1) == "past" || at(i+1) == "after"):
		h, ok := hourWord(at(i + 2))
		if !ok {
			return ts, 0, nil
		}
		ts = timeSpec{hour: h, minute: 15}
		i += 3
	case t == "quarter" && (at(i+1) == "to" || at(i+1) == "till" || at(i+1) == "of"):
		h, ok := hourWord(at(i + 2))
		if !ok {
			return ts, 0, nil
		}
		ts = timeSpec{hour: (h + 23) % 24, minute: 45}
		if h == 12 {
			ts.hour = 11
		}
		i += 3
	default:
		if m := reClock().FindStringSubmatch(t); m != nil {
			h, _ := strconv.Atoi(m[1])
			mi := 0
			if m[2] != "" {
				mi, _ = strconv.Atoi(m[2])
			}
			ts = timeSpec{hour: h, minute: mi}
			i++
			if m[2] == "" && !cue && !timeFollows(toks, i) && !(at(i) == "in" && at(i+1) == "the") {
				// A bare number is not a time.
				return timeSpec{}, 0, nil
			}
			if m[2] != "" && (h >= 13 || h == 0 || len(m[1]) == 2 && h < 10) {
				ts.meridiem = true // 24-hour clock
			}
			if m[3] != "" {
				if err := setMeridiem(&ts, m[3][:1]); err != nil {
					return ts, 0, err
				}
			}
		} else if h, ok := hourWord(t); ok {
			i++
			if mi, n := minuteWords(toks, i); n > 0 {
				ts = timeSpec{hour: h, minute: mi}
				i += n
			} else if cue || timeFollows(toks, i) || at(i) == "in" && at(i+1) == "the" {
				ts = timeSpec{hour: h}
			} else {
				return timeSpec{}, 0, nil
			}
		} else {
			return timeSpec{}, 0, nil
		}
	}
	if at(i) == "oclock" {
		i++
	}
	switch at(i) {
	case "am", "a", "pm", "p":
		if err := setMeridiem(&ts, at(i)[:1]); err != nil {
			return ts, 0, err
		}
		i++
	}
	if at(i) == "in" && at(i+1) == "the" {
		switch at(i + 2) {
		case "morning":
			if err := setMeridiem(&ts, "a"); err != nil {
				return ts, 0, err
			}
			i += 3
		case "afternoon", "evening":
			if err := setMeridiem(&ts, "p"); err != nil {
				return ts, 0, err
			}
			i += 3
		}
	} else if at(i) == "at" && at(i+1) == "night" {
		if err := setMeridiem(&ts, "p"); err != nil {
			return ts, 0, err
		}
		i += 2
	}
	if ts.hour > 23 || ts.minute > 59 {
		return ts, 0, ask("I didn't catch the time %q. What time would you like?", strings.Join(toks[start:i], " "))
	}
	ts.said = strings.Join(toks[start:i], " ")
	return ts, i - start, nil
}

func setMeridiem(ts *timeSpec, m string) error {
	if ts.hour < 1 || ts.hour > 12 {
		if ts.hour > 12 && m == "p" {
			ts.meridiem = true
			return nil
		}
		return ask("%d %sM isn't a time. What time would you like?", ts.hour, strings.ToUpper(m))
	}
	ts.hour %= 12
	if m == "p" {
		ts.hour += 12
	}
	ts.meridiem = true
	return nil
}

func hourWord(t string) (int, bool) {
	if h, ok := ones[t]; ok && h >= 1 && h <= 12 {
		return h, true
	}
	if h, err := strconv.Atoi(t); err == nil && h >= 1 && h <= 12 && len(t) <= 2 {
		return h, true
	}
	return 0, false
}

// minuteWords reads spoken minutes: "thirty", "forty five", "oh five",
// "fifteen".
func minuteWords(toks []string, i int) (int, int) {
	if i >= len(toks) {
		return 0, 0
	}
	t := toks[i]
	if (t == "oh" || t == "o") && i+1 < len(toks) {
		if o, ok := ones[toks[i+1]]; ok && o >= 1 && o <= 9 {
			return o, 2
		}
	}
	if o, ok := ones[t]; ok && o >= 10 {
		return o, 1
	}
	if tn, ok := tens[t]; ok {
		if i+1 < len(toks) {
			if o, ok := ones[toks[i+1]]; ok && o >= 1 && o <= 9 {
				return tn + o, 2
			}
		}
		return tn, 1
	}
	return 0, 0
}

// day is midnight of t's date in loc.
func day(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// Ask returns a QuestionError asking question.
func Ask(question string) error { return &QuestionError{Question: question} }
