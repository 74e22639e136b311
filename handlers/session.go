package handlers

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// Sessions live in an encrypted, signed cookie. A cookie cannot be revoked, so each one
// carries the user's session version, checked on every request: bumping the version in
// the database (at sign-out) ends every session of that user at once.
const (
	sessionCookie = "referrals_session"
	// sessionMaxAge is the absolute lifetime of a sign-in.
	sessionMaxAge = 7 * 24 * time.Hour
	// sessionIdleTimeout signs out a session unused for this long.
	sessionIdleTimeout = 12 * time.Hour
	// sessionTouchEvery bounds how often the last-seen time is rewritten.
	sessionTouchEvery = 5 * time.Minute
)

// Session cookie values.
const (
	keyUserID   = "uid"
	keyVersion  = "ver"
	keyIssuedAt = "iat"
	keySeenAt   = "seen"
	keyFlash    = "flash"
	keyFlashAs  = "flash_kind"
)

// ctxUser is where the signed-in user is kept on the request.
const ctxUser = "user"

// newSessionStore derives separate signing and encryption keys from the secret.
func newSessionStore(secret []byte, secure bool) (*sessions.CookieStore, error) {
	hashKey, err := hkdf.Key(sha256.New, secret, nil, "referrals session signing", 64)
	if err != nil {
		return nil, err
	}
	blockKey, err := hkdf.Key(sha256.New, secret, nil, "referrals session encryption", 32)
	if err != nil {
		return nil, err
	}
	store := sessions.NewCookieStore(hashKey, blockKey)
	// MaxAge sets the cookie's lifetime and the codec's, which otherwise stays 30 days.
	store.MaxAge(int(sessionMaxAge.Seconds()))
	store.Options.Path = "/"
	store.Options.HttpOnly = true
	store.Options.SameSite = http.SameSiteLaxMode
	store.Options.Secure = secure
	return store, nil
}

// session returns the request's session; a missing, tampered or expired cookie gives a
// new, empty one.
func (h *Handler) session(c echo.Context) *sessions.Session {
	// On a decoding error the store still returns a new, empty session (and caches it
	// for the rest of the request), which is what we want.
	sess, _ := h.sessions.Get(c.Request(), sessionCookie)
	return sess
}

// currentUser is the signed-in user, or nil.
func currentUser(c echo.Context) *models.User {
	u, _ := c.Get(ctxUser).(*models.User)
	return u
}

// loadSession puts the signed-in user on the request when the session cookie is valid,
// recent, and of the user's current session version; otherwise it forgets the session.
func (h *Handler) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := h.session(c)
		uid, _ := sess.Values[keyUserID].(int64)
		if uid == 0 {
			return next(c)
		}
		version, _ := sess.Values[keyVersion].(int64)
		issued, _ := sess.Values[keyIssuedAt].(int64)
		seen, _ := sess.Values[keySeenAt].(int64)
		now := h.store.Now()
		expired := now.Sub(time.Unix(issued, 0)) > sessionMaxAge || now.Sub(time.Unix(seen, 0)) > sessionIdleTimeout

		var user models.User
		if !expired {
			var err error
			user, err = h.store.UserByID(c.Request().Context(), uid)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return err
			}
		}
		if expired || user.ID == 0 || user.SessionVersion != version {
			clear(sess.Values)
			if expired {
				setFlash(sess, views.FlashInfo, "Your session ended. Please sign in again.")
			}
			if err := sess.Save(c.Request(), c.Response()); err != nil {
				return err
			}
			return next(c)
		}
		c.Set(ctxUser, &user)
		// same_ip (R12) covers every address a user is seen at while signed in; the Store
		// writes each one once a day.
		if err := h.store.RecordSeen(c.Request().Context(), user.ID, c.RealIP()); err != nil {
			return err
		}
		if now.Sub(time.Unix(seen, 0)) > sessionTouchEvery {
			sess.Values[keySeenAt] = now.Unix()
			if err := sess.Save(c.Request(), c.Response()); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// startSession signs user in with a fresh session: nothing of the previous one survives.
// The CSRF cookie is dropped too, so the signed-in session gets a new token.
func (h *Handler) startSession(c echo.Context, user models.User) error {
	sess := h.session(c)
	clear(sess.Values)
	now := h.store.Now().Unix()
	sess.Values[keyUserID] = user.ID
	sess.Values[keyVersion] = user.SessionVersion
	sess.Values[keyIssuedAt] = now
	sess.Values[keySeenAt] = now
	c.SetCookie(&http.Cookie{Name: csrfCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return sess.Save(c.Request(), c.Response())
}

// endSession forgets the session in this browser, leaving only a flash message.
func (h *Handler) endSession(c echo.Context, flash string) error {
	sess := h.session(c)
	clear(sess.Values)
	setFlash(sess, views.FlashInfo, flash)
	return sess.Save(c.Request(), c.Response())
}

func setFlash(sess *sessions.Session, kind views.FlashKind, msg string) {
	sess.Values[keyFlash] = msg
	sess.Values[keyFlashAs] = string(kind)
}

// flash sets a message for the next page the user sees.
func (h *Handler) flash(c echo.Context, kind views.FlashKind, msg string) error {
	sess := h.session(c)
	setFlash(sess, kind, msg)
	return sess.Save(c.Request(), c.Response())
}

// takeFlash removes and returns the pending flash message, if any.
func (h *Handler) takeFlash(c echo.Context) (*views.Flash, error) {
	sess := h.session(c)
	msg, _ := sess.Values[keyFlash].(string)
	if msg == "" {
		return nil, nil
	}
	kind, _ := sess.Values[keyFlashAs].(string)
	delete(sess.Values, keyFlash)
	delete(sess.Values, keyFlashAs)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return nil, err
	}
	return &views.Flash{Kind: views.FlashKind(kind), Message: msg}, nil
}
