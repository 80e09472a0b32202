package web

import (
	"fmt"
	"net/http"
)

// The helpers of the pages that change things (compose, contacts, admin):
// each form is posted, its change made by the desk, and the browser sent
// on to a page that shows the result (POST-redirect-GET), so that a reload
// does not post again.

// seeOther sends the browser on after a change.
func (c *call) seeOther(path string) {
	http.Redirect(c.w, c.r, path, http.StatusSeeOther)
}

// badForm is a 422 about a form field the desk never got to judge.
func badForm(format string, args ...any) error {
	return &pageError{http.StatusUnprocessableEntity, fmt.Sprintf(format, args...)}
}

// adminOnly refuses a page of the admin area to a member who is not an
// admin of the property, as the desk refuses her changes there.
func (c *call) adminOnly() error {
	if !c.isAdmin() {
		return errForbidden(c.member.Email + " is not an admin of " + c.prop.Slug + ": the admin pages are for its admins")
	}
	return nil
}
