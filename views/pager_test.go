package views

import (
	"strings"
	"testing"
)

// A list that stops at its last shown page offers no next page there and says why.
func TestPagerStopsAtTheLastPageAListShows(t *testing.T) {
	p := Pager{Path: "/admin/referrals", Page: 39, PerPage: 25, Total: 200_000, Last: 40}
	if !p.HasNext() || strings.Contains(p.Summary(), "stop") {
		t.Errorf("page 39: next %v, %q", p.HasNext(), p.Summary())
	}
	p.Page = 40
	if p.HasNext() || !strings.Contains(p.Summary(), "lists stop at page 40") {
		t.Errorf("page 40: next %v, %q", p.HasNext(), p.Summary())
	}
	searched := Pager{Page: 40, PerPage: 25, Total: 1000, Capped: true, More: true, Last: 40}
	if searched.HasNext() || !strings.Contains(searched.Summary(), "1,000+ items · lists stop") {
		t.Errorf("searched: next %v, %q", searched.HasNext(), searched.Summary())
	}
	// A list that ends on page 40 ends there, without a word about stopping.
	ends := Pager{Page: 40, PerPage: 25, Total: 1000, Last: 40}
	if ends.HasNext() || strings.Contains(ends.Summary(), "stop") {
		t.Errorf("ends: next %v, %q", ends.HasNext(), ends.Summary())
	}
	// Other lists page on.
	if dash := (Pager{Page: 40, PerPage: 25, Total: 200_000}); !dash.HasNext() {
		t.Error("a list without a last page stopped")
	}
}
