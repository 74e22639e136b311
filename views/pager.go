package views

import (
	"net/url"
	"strconv"
)

// Pager links the pages of a list. Query keeps the list's filters across pages.
type Pager struct {
	Path    string
	Query   url.Values
	Page    int
	PerPage int
	Total   int64
	// Capped: Total is a lower bound (the list was counted only so far); More: a next
	// page exists.
	Capped bool
	More   bool
	// Last is the last page the list shows (0: every page); see models.MaxListPage.
	Last int
}

// atLast reports whether the page is the last the list shows while the list goes on.
func (p Pager) atLast() bool {
	return p.Last > 0 && p.Page >= p.Last && (p.More || p.Capped || p.Page < p.Pages())
}

// Pages is how many pages the list has (at least one).
func (p Pager) Pages() int {
	if p.PerPage <= 0 || p.Total <= 0 {
		return 1
	}
	return int((p.Total + int64(p.PerPage) - 1) / int64(p.PerPage))
}

func (p Pager) HasPrev() bool { return p.Page > 1 }
func (p Pager) HasNext() bool {
	return !p.atLast() && (p.More || (!p.Capped && p.Page < p.Pages()))
}

// Summary says where the page is: "Page 2 of 7 · 320 items", or "Page 2 · 10,000+ items".
// On the last page a list shows, it says so.
func (p Pager) Summary() string {
	s := "Page " + strconv.Itoa(p.Page) + " of " + strconv.Itoa(p.Pages()) + " · " + Plural(p.Total, "item", "items")
	if p.Capped {
		s = "Page " + strconv.Itoa(p.Page) + " · " + countLabel(p.Total, true, "item", "items")
	}
	if p.atLast() {
		s += " · lists stop at page " + strconv.Itoa(p.Last) + ": narrow this one with its filters"
	}
	return s
}

// Href is the address of page n with the same filters.
func (p Pager) Href(n int) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(n))
	return p.Path + "?" + q.Encode()
}
