package httpadapter

import (
	"net/http"
)

// The answers of registration and forgotten passwords: the same whatever
// happened, so that they cannot tell which e-mails have accounts.
var (
	registerAccepted = acceptedOut{Status: "accepted", Detail: "Thank you. Check your e-mail to continue."}
	forgotAccepted   = acceptedOut{Status: "accepted", Detail: "If an account uses this e-mail, a link to set a new password has been sent to it."}
)

// publicRoutes are the unauthenticated self-service routes. The
// organization comes from Config.Organization (or OrganizationID).
func (a *api) publicRoutes() []*route {
	const tag = "Self-service"
	return []*route{
		{method: http.MethodPost, path: "/register", op: "register", tag: tag,
			summary: "Register a customer user and its company. The answer is the same when the e-mail is taken (the owner is e-mailed instead).",
			body:    registerIn{}, status: http.StatusAccepted, resp: acceptedOut{}, handle: a.register},
		{method: http.MethodPost, path: "/confirm-email", op: "confirmEmail", tag: tag,
			summary: "Confirm an account with the token of its confirmation e-mail.", body: tokenIn{},
			status: http.StatusNoContent, handle: a.confirmEmail},
		{method: http.MethodPost, path: "/password/forgot", op: "forgotPassword", tag: tag,
			summary: "E-mail a set-password link. Always the same answer, whether the e-mail has an account or not.",
			body:    emailIn{}, status: http.StatusAccepted, resp: acceptedOut{}, handle: a.forgotPassword},
		{method: http.MethodPost, path: "/password/reset", op: "resetPassword", tag: tag,
			summary: "Set a new password with the token of a set-password link; it also confirms the account.",
			body:    resetIn{}, status: http.StatusNoContent, handle: a.resetPassword},
	}
}

func (a *api) register(c *call) error {
	var in registerIn
	if err := c.decode(&in); err != nil {
		return err
	}
	if _, err := a.cfg.Users.Register(c.ctx(), c.org, in.input()); err != nil {
		return err
	}
	return c.write(http.StatusAccepted, registerAccepted)
}

func (a *api) confirmEmail(c *call) error {
	var in tokenIn
	if err := c.decode(&in); err != nil {
		return err
	}
	if _, err := a.cfg.Users.ConfirmEmail(c.ctx(), c.org, in.Token); err != nil {
		return err
	}
	return c.noContent(0)
}

func (a *api) forgotPassword(c *call) error {
	var in emailIn
	if err := c.decode(&in); err != nil {
		return err
	}
	if err := a.cfg.Users.ForgotPassword(c.ctx(), c.org, in.Email); err != nil {
		return err
	}
	return c.write(http.StatusAccepted, forgotAccepted)
}

func (a *api) resetPassword(c *call) error {
	var in resetIn
	if err := c.decode(&in); err != nil {
		return err
	}
	if _, err := a.cfg.Users.ResetPassword(c.ctx(), c.org, in.Token, in.Password); err != nil {
		return err
	}
	return c.noContent(0)
}
