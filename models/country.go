package models

import (
	"sort"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Country is an ISO 3166-1 alpha-2 code with its English name.
type Country struct {
	Code string
	Name string
}

// countryRegion returns the region for an ISO 3166-1 alpha-2 code, or false for anything
// else (lower case, deprecated or reserved codes, continents).
func countryRegion(code string) (language.Region, bool) {
	if len(code) != 2 || strings.ToUpper(code) != code {
		return language.Region{}, false
	}
	r, err := language.ParseRegion(code)
	if err != nil || !r.IsCountry() || r.IsPrivateUse() || r.String() != code ||
		r.Canonicalize() != r || r.M49() == 0 {
		return language.Region{}, false
	}
	return r, true
}

// ValidCountry reports whether code is an ISO 3166-1 alpha-2 country code.
func ValidCountry(code string) bool {
	_, ok := countryRegion(code)
	return ok
}

// CountryName is the English name of a country code, or the code itself.
func CountryName(code string) string {
	r, ok := countryRegion(code)
	if !ok {
		return code
	}
	return display.English.Regions().Name(r)
}

// Countries lists every country, sorted by English name, for a sign-up form.
func Countries() []Country {
	var list []Country
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			if ValidCountry(code) {
				list = append(list, Country{Code: code, Name: CountryName(code)})
			}
		}
	}
	c := collate.New(language.English)
	sort.Slice(list, func(i, j int) bool { return c.CompareString(list[i].Name, list[j].Name) < 0 })
	return list
}
