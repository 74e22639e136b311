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
}

// Pages is how many pages the list has (at least one).
func (p Pager) Pages() int {
	if p.PerPage <= 0 || p.Total <= 0 {
		return 1
	}
	return int((p.Total + int64(p.PerPage) - 1) / int64(p.PerPage))
}

func (p Pager) HasPrev() bool { return p.Page > 1 }
func (p Pager) HasNext() bool { return p.Page < p.Pages() }

// Href is the address of page n with the same filters.
func (p Pager) Href(n int) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(n))
	return p.Path + "?" + q.Encode()
}
