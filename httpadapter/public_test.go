package httpadapter_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func registration(email string) map[string]any {
	return map[string]any{"companyName": "Cole Trading", "firstName": "Amanda", "lastName": "Cole", "email": email,
		"password": testPassword}
}

// TestRegisterConfirmLoginProfileResetFlow follows a visitor from
// registration to a reset password.
func TestRegisterConfirmLoginProfileResetFlow(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		const email = "amanda@cole.example"
		r := h.pub(http.MethodPost, "/register", registration(email)).expect(t, http.StatusAccepted)
		accepted := string(r.body)
		n, ok := h.mail.last(customeruser.TemplateConfirmation, email)
		require.True(t, ok, "the confirmation e-mail was sent")
		u, err := h.st.Users.GetByEmailKey(h.ctx, h.org, email)
		require.NoError(t, err)
		assert.False(t, u.Confirmed)
		_, err = h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: email, Password: testPassword})
		assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err), "unconfirmed users cannot log in")

		// Registering the same e-mail again answers the same; the owner is told.
		again := h.pub(http.MethodPost, "/register", registration("AMANDA@cole.example")).expect(t, http.StatusAccepted)
		assert.Equal(t, accepted, string(again.body))
		_, ok = h.mail.last(customeruser.TemplateNotUniqueEmail, email)
		assert.True(t, ok)

		// The token of another organization is no good.
		p := h.pub(http.MethodPost, "/confirm-email", map[string]any{"token": n.Token}, withHost(hostOrg2)).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "token", "invalid")
		h.pub(http.MethodPost, "/confirm-email", map[string]any{"token": n.Token}).expect(t, http.StatusNoContent)
		p = h.pub(http.MethodPost, "/confirm-email", map[string]any{"token": n.Token}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "token", "invalid")
		_, ok = h.mail.last(customeruser.TemplateWelcome, email)
		assert.True(t, ok)

		// Login (the password grant comes with the OAuth endpoints), then the
		// profile through the storefront.
		u, err = h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: email, Password: testPassword})
		require.NoError(t, err)
		tok := h.userToken(u)
		me := h.sf(tok, http.MethodGet, "/me", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, email, me["email"])
		assert.Equal(t, true, me["confirmed"])
		assert.Equal(t, float64(1), me["loginCount"])
		assert.NotNil(t, me["lastLoginAt"])

		// Forgot: the same answer for known and unknown e-mails.
		known := h.pub(http.MethodPost, "/password/forgot", map[string]any{"email": email}).expect(t, http.StatusAccepted)
		unknown := h.pub(http.MethodPost, "/password/forgot", map[string]any{"email": "nobody@cole.example"}).expect(t, http.StatusAccepted)
		assert.Equal(t, string(known.body), string(unknown.body))
		reset, ok := h.mail.last(customeruser.TemplateResetPassword, email)
		require.True(t, ok)

		before := h.eventCount(h.org)
		p = h.pub(http.MethodPost, "/password/reset", map[string]any{"token": reset.Token, "password": "weak"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "password", "min_length")
		p = h.pub(http.MethodPost, "/password/reset", map[string]any{"token": "forged", "password": "NewSecret9"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "token", "invalid")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")
		h.pub(http.MethodPost, "/password/reset", map[string]any{"token": reset.Token, "password": "NewSecret9"}).expect(t, http.StatusNoContent)
		h.pub(http.MethodPost, "/password/reset", map[string]any{"token": reset.Token, "password": "NewSecret9"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		_, err = h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: email, Password: "NewSecret9"})
		assert.NoError(t, err)
	})
}

func TestPublicBadInput(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		before := h.eventCount(h.org)
		sent := h.mail.count()
		p := h.pub(http.MethodPost, "/register", map[string]any{"firstName": "", "lastName": "Cole", "email": "not-an-email", "password": "weak"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "firstName", "required")
		violation(t, p, "email", "format")
		violation(t, p, "password", "min_length")
		h.pub(http.MethodPost, "/register", map[string]any{"email": "a@b.example", "captcha": "x"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.pub(http.MethodPost, "/password/forgot", `{"email":`).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.pub(http.MethodPost, "/confirm-email", map[string]any{"token": 5}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.pub(http.MethodPost, "/register", registration("a@b.example"), withHost("unknown.example")).expectProblem(t, http.StatusNotFound, "not_found")
		h.pub(http.MethodGet, "/register", nil).expectProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")
		assert.Equal(t, sent, h.mail.count(), "nothing sent")
	})
}
