package views

import (
	"strings"

	"referrals/models"
)

// Page is what every page's shell needs: who is signed in, the CSRF token for its forms,
// a one-time message, and which navigation entry is current.
type Page struct {
	Title string
	// Nav is the href of the current navigation entry, e.g. "/dashboard".
	Nav   string
	User  *Viewer
	CSRF  string
	Flash *Flash
	// CSSURL and JSURL are the versioned addresses of the stylesheet and script.
	CSSURL string
	JSURL  string
	// Marketplace is MARKETPLACE_NAME, as the pages name the marketplace.
	Marketplace string
}

// Viewer is the signed-in person.
type Viewer struct {
	Name  string
	Email string
	Role  models.Role
}

// Staff reports whether the viewer runs the program.
func (v *Viewer) Staff() bool { return v != nil && v.Role.IsStaff() }

// May reports whether the viewer's role allows actions needing p: pages show no button
// or link to an action the viewer may not take.
func (v *Viewer) May(p models.Permission) bool { return v != nil && v.Role.May(p) }

// RolesThatMay names the staff roles allowed p, for people: "reviewers and owners".
func RolesThatMay(p models.Permission) string {
	var names []string
	for _, r := range models.StaffRoles() {
		if r.May(p) {
			names = append(names, strings.ToLower(r.Label())+"s")
		}
	}
	return ListWords(names)
}

// FlashKind styles a flash message.
type FlashKind string

const (
	FlashSuccess FlashKind = "success"
	FlashError   FlashKind = "error"
	FlashInfo    FlashKind = "info"
)

// Flash is a message shown once, after a redirect.
type Flash struct {
	Kind    FlashKind
	Message string
}

// NavLink is one entry of the top navigation.
type NavLink struct {
	Href  string
	Label string
}

// navLinks lists the navigation of the signed-in viewer.
func navLinks(v *Viewer) []NavLink {
	switch {
	case v == nil:
		return nil
	case v.Staff():
		links := []NavLink{
			{"/admin", "Overview"},
			{"/admin/payouts", "Payouts"},
			{"/admin/batches", "Batches"},
			{"/admin/referrals", "Referrals"},
			{"/admin/programs", "Programs"},
		}
		if v.May(models.ImportEarnings) {
			links = append(links, NavLink{"/admin/earnings/import", "Import"})
		}
		links = append(links, NavLink{"/admin/audit", "Audit"}, NavLink{"/admin/outbox", "Outbox"})
		if v.May(models.ManageStaff) {
			links = append(links, NavLink{"/admin/staff", "Staff"})
		}
		if v.May(models.ManageWebhooks) {
			links = append(links, NavLink{"/admin/webhooks", "Webhooks"})
		}
		return links
	}
	return []NavLink{
		{"/dashboard", "Dashboard"},
		{"/transactions", "Transactions"},
		{"/help", "Help"},
	}
}

// homeHref is where the brand link leads.
func homeHref(v *Viewer) string {
	switch {
	case v == nil:
		return "/login"
	case v.Staff():
		return "/admin"
	}
	return "/dashboard"
}
