package teststore

import (
	"context"
	"strings"
	"sync"

	"github.com/b2bkit/customerusers/customeruser"
)

// Notifier is a customeruser.Notifier that keeps every notification it is
// given (tests take tokens from it, as a user would from the e-mail), or
// fails while Fail has set an error. Services call it inside the
// transaction of the change, so it also keeps the notifications of a
// change that later rolls back. The zero value is ready to use.
type Notifier struct {
	mu   sync.Mutex
	sent []customeruser.Notification
	fail error
}

// Notify keeps x, or returns the error set by Fail.
func (n *Notifier) Notify(_ context.Context, x customeruser.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		return n.fail
	}
	n.sent = append(n.sent, x)
	return nil
}

// Fail makes Notify return err from now on; nil makes it keep
// notifications again.
func (n *Notifier) Fail(err error) {
	n.mu.Lock()
	n.fail = err
	n.mu.Unlock()
}

// Sent returns all notifications so far.
func (n *Notifier) Sent() []customeruser.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]customeruser.Notification(nil), n.sent...)
}

// Last returns the latest notification with that template.
func (n *Notifier) Last(template string) (customeruser.Notification, bool) {
	return n.LastTo(template, "")
}

// LastTo returns the latest notification with that template sent to email
// (in any case), or to anyone when email is empty.
func (n *Notifier) LastTo(template, email string) (customeruser.Notification, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := len(n.sent) - 1; i >= 0; i-- {
		if n.sent[i].Template == template && (email == "" || strings.EqualFold(n.sent[i].Email, email)) {
			return n.sent[i], true
		}
	}
	return customeruser.Notification{}, false
}

// Count counts the notifications with that template, or all of them when
// template is empty.
func (n *Notifier) Count(template string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, x := range n.sent {
		if template == "" || x.Template == template {
			c++
		}
	}
	return c
}

// Reset forgets the notifications so far.
func (n *Notifier) Reset() {
	n.mu.Lock()
	n.sent = nil
	n.mu.Unlock()
}
