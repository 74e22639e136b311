package models_test

import (
	"math"
	"testing"

	"referrals/models"
)

func TestParseDollars(t *testing.T) {
	good := map[string]int64{
		"500":     50000,
		"500.00":  50000,
		"12.5":    1250,
		"0.01":    1,
		"-25.00":  -2500,
		"-0.5":    -50,
		"007.10":  710,
		"1000000": 100000000,
	}
	for in, want := range good {
		got, err := models.ParseDollars(in)
		if err != nil || got != want {
			t.Errorf("ParseDollars(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12.345", "1e3", "$5", "1,000", "12.", ".5", "-", "+5", " 5", "5 ", "abc", "1.2.3", "9999999999999999"} {
		if got, err := models.ParseDollars(in); err == nil {
			t.Errorf("ParseDollars(%q) = %d, want an error", in, got)
		}
	}
}

func TestFormatDollarsIsTheInverseOfParse(t *testing.T) {
	for _, cents := range []int64{0, 1, 99, 100, 12345, -2500, -1, 50000, math.MaxInt64 / 1000} {
		s := models.FormatDollars(cents)
		back, err := models.ParseDollars(s)
		if err != nil || back != cents {
			t.Errorf("FormatDollars(%d) = %q, parsed back as %d, %v", cents, s, back, err)
		}
	}
	if got := models.FormatDollars(math.MinInt64); got != "-92233720368547758.08" {
		t.Errorf("FormatDollars(MinInt64) = %q", got)
	}
}

func TestCountries(t *testing.T) {
	for code, want := range map[string]bool{"US": true, "CA": true, "GB": true, "us": false, "USA": false, "UK": false, "EU": false, "ZZ": false, "": false} {
		if got := models.ValidCountry(code); got != want {
			t.Errorf("ValidCountry(%q) = %v, want %v", code, got, want)
		}
	}
	list := models.Countries()
	if len(list) < 240 || len(list) > 260 {
		t.Errorf("%d countries", len(list))
	}
	if models.CountryName("US") != "United States" {
		t.Errorf("CountryName(US) = %q", models.CountryName("US"))
	}
}
