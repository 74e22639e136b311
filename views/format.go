// Package views renders the product's pages and emails with templ. Components take plain
// values prepared for them (never a Store) and decide nothing: they show what they are
// given, formatted by the helpers in this file.
package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"referrals/models"
)

// Money formats cents as dollars for people: 123456 -> "$1,234.56", -2500 -> "-$25.00".
func Money(cents int64) string {
	plain := models.FormatDollars(cents)
	sign := ""
	if strings.HasPrefix(plain, "-") {
		sign, plain = "-", plain[1:]
	}
	whole, frac, _ := strings.Cut(plain, ".")
	return sign + "$" + groupThousands(whole) + "." + frac
}

// groupThousands puts a comma between each group of three digits: "1234567" ->
// "1,234,567".
func groupThousands(digits string) string {
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// WholeMoney formats an amount the way terms state it: "$500" when it is whole dollars.
func WholeMoney(cents int64) string {
	s := Money(cents)
	return strings.TrimSuffix(s, ".00")
}

// Dollars is an amount as a plain decimal number of dollars, for machine-readable
// attributes such as <progress value>: 31000 -> "310.00".
func Dollars(cents int64) string { return models.FormatDollars(cents) }

// Date formats an instant as a calendar day in loc: "Apr 15, 2019".
func Date(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Jan 2, 2006")
}

// DateTime formats an instant in loc with its zone: "Apr 15, 2019, 11:59 PM PDT".
func DateTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Jan 2, 2006, 3:04 PM MST")
}

// ISODate is a machine-readable day for <time datetime>.
func ISODate(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// DaysLeft says how long until deadline, in whole days, for people: "12 days left",
// "1 day left", "ends today", "ended".
func DaysLeft(now, deadline time.Time) string {
	if now.After(deadline) {
		return "ended"
	}
	days := int(deadline.Sub(now).Hours() / 24)
	switch days {
	case 0:
		return "ends today"
	case 1:
		return "1 day left"
	}
	return strconv.Itoa(days) + " days left"
}

// Plural writes n with the singular or plural noun: "1 friend", "3 friends".
func Plural(n int64, singular, plural string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, singular)
	}
	return fmt.Sprintf("%d %s", n, plural)
}

// Itoa is strconv.FormatInt for templates.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ListWords joins words as a person would: "a", "a and b", "a, b and c".
func ListWords(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// CountryNames lists the English names of country codes.
func CountryNames(codes []string) []string {
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = models.CountryName(c)
	}
	return names
}
