package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// adminPrograms lists the programs.
func (h *Handler) adminPrograms(c echo.Context) error {
	page, err := h.store.Programs(c.Request().Context(), paging(c))
	if err != nil {
		return err
	}
	m := views.AdminProgramsModel{Now: h.store.Now(), Page: page}
	return render(c, http.StatusOK, views.AdminPrograms(h.page(c, "Programs", "/admin/programs"), m))
}

// adminNewProgram shows an empty program form, filled with the original program's
// numbers.
func (h *Handler) adminNewProgram(c echo.Context) error {
	in := models.Program{
		TimeZone: models.DefaultTimeZone, Categories: []string{models.DefaultCategory}, Countries: []string{models.DefaultCountry},
		ThresholdCents: models.DefaultThresholdCents, RewardCents: models.DefaultRewardCents, PerkMonths: models.DefaultPerkMonths,
		PayoutBusinessDays: models.DefaultPayoutBusinessDays, ReminderDays: models.DefaultReminderDays, Status: models.ProgramDraft,
	}.Input()
	in.Deadline = ""
	return render(c, http.StatusOK, views.AdminProgramNew(h.page(c, "New program", "/admin/programs"), views.ProgramForm{Input: in, Countries: h.countries}))
}

// adminCreateProgram creates a program, or shows the form again with what to fix.
func (h *Handler) adminCreateProgram(c echo.Context) error {
	in := programInput(c)
	p, err := h.store.CreateProgram(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return render(c, http.StatusUnprocessableEntity, views.AdminProgramNew(h.page(c, "New program", "/admin/programs"), views.ProgramForm{Input: in, Errors: fe, Countries: h.countries}))
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/admin/programs/"+p.Slug, views.FlashSuccess, fmt.Sprintf("Created the program %s.", p.Name))
}

// adminProgram shows a program with its runs and its settings form.
func (h *Handler) adminProgram(c echo.Context) error {
	return h.renderProgram(c, http.StatusOK, nil)
}

// renderProgram renders a program's page; form is the submitted settings (nil: as stored).
func (h *Handler) renderProgram(c echo.Context, status int, form *views.ProgramForm) error {
	row, err := h.store.ProgramSummary(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	m := views.AdminProgramModel{Now: h.store.Now(), Program: row, Form: views.ProgramForm{Input: row.Input()}}
	if form != nil {
		m.Form = *form
	}
	m.Form.Countries = h.countries
	if row.Referrals > 0 {
		m.Form.Locked = models.LockedOnceReferred()
		m.Form.Stored = row.Input()
	}
	return render(c, status, views.AdminProgram(h.page(c, row.Name, "/admin/programs"), m))
}

// adminUpdateProgram saves a program's settings, or shows them again with what to fix.
func (h *Handler) adminUpdateProgram(c echo.Context) error {
	in := programInput(c)
	slug := c.Param("slug")
	p, err := h.store.UpdateProgram(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), slug, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		in.Slug = slug
		return h.renderProgram(c, http.StatusUnprocessableEntity, &views.ProgramForm{Input: in, Errors: fe})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/admin/programs/"+p.Slug, views.FlashSuccess, "Saved the program's settings.")
}

// programInput reads the program form: categories are the boxes ticked (`categories`,
// each one name) and any typed in `categories_other`, one per line; countries are the
// codes chosen (`countries`, repeated, or typed separated by commas).
func programInput(c echo.Context) models.ProgramInput {
	form, _ := c.FormParams()
	categories := slices.Clone(form["categories"])
	for _, v := range form["categories_other"] {
		categories = append(categories, splitLines(v)...)
	}
	var countries []string
	for _, v := range form["countries"] {
		countries = append(countries, splitList(v)...)
	}
	return models.ProgramInput{
		Slug:         c.FormValue("slug"),
		Name:         c.FormValue("name"),
		Deadline:     c.FormValue("deadline"),
		TimeZone:     c.FormValue("time_zone"),
		Categories:   categories,
		Countries:    countries,
		Threshold:    c.FormValue("threshold"),
		Reward:       c.FormValue("reward"),
		PerkMonths:   c.FormValue("perk_months"),
		BusinessDays: c.FormValue("business_days"),
		ReminderDays: c.FormValue("reminder_days"),
		Status:       models.ProgramStatus(c.FormValue("status")),
	}
}

// splitLines splits typed text into its non-empty lines.
func splitLines(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// splitList splits a typed list at commas and line breaks, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// adminInviteProgram runs R2's invitations and says how many went out.
func (h *Handler) adminInviteProgram(c echo.Context) error {
	slug := c.Param("slug")
	n, err := h.store.InviteProgram(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), slug)
	return h.afterRun(c, slug, err, views.Plural(int64(n), "invitation", "invitations")+" sent.")
}

// adminRemindProgram sends the due reminders and says how many went out.
func (h *Handler) adminRemindProgram(c echo.Context) error {
	slug := c.Param("slug")
	n, err := h.store.SendReminders(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), slug)
	return h.afterRun(c, slug, err, views.Plural(int64(n), "reminder", "reminders")+" sent.")
}

// afterRun returns to the program's page with the outcome of a run.
func (h *Handler) afterRun(c echo.Context, slug string, err error, done string) error {
	back := "/admin/programs/" + slug
	switch {
	case errors.Is(err, models.ErrProgramClosed):
		return h.redirectWithFlash(c, back, views.FlashError, "Nothing sent: this program is not open (it is a draft, has ended, or its deadline has passed).")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, back, views.FlashSuccess, done)
}
