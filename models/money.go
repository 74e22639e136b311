package models

import (
	"errors"
	"strconv"
	"strings"
)

// Money is integer cents of U.S. dollars everywhere; these two functions are the only way
// in from and out to decimal text. No floats are involved at any step.

// maxDollarDigits bounds the whole-dollar part so cents always fit in an int64.
const maxDollarDigits = 15

// ParseDollars reads an amount in dollars such as "500", "12.5", "-25.00" into cents.
// It accepts an optional minus sign, digits, and at most two decimals; nothing else
// (no exponent, no thousands separators, no currency sign).
func ParseDollars(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("amount is empty")
	}
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) {
		return 0, errors.New("amount must be a number of dollars like 12.34")
	}
	if hasDot && (frac == "" || !allDigits(frac)) {
		return 0, errors.New("amount must be a number of dollars like 12.34")
	}
	if len(frac) > 2 {
		return 0, errors.New("amount has more than two decimals")
	}
	if len(strings.TrimLeft(whole, "0")) > maxDollarDigits {
		return 0, errors.New("amount is too large")
	}
	dollars, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, errors.New("amount is too large")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(frac, 10, 64)
	total := dollars*100 + cents
	if neg {
		total = -total
	}
	return total, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatDollars writes cents as plain dollars with two decimals: 31000 -> "310.00",
// -2500 -> "-25.00". It is the inverse of ParseDollars (for CSV and forms).
func FormatDollars(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign = "-"
		u = uint64(-(cents + 1)) + 1 // safe for math.MinInt64
	}
	frac := strconv.FormatUint(u%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + frac
}
