package customeruser

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// Addresses belong to their user: adding, changing or removing one is a
// change of the user (its Version and UpdatedAt move, expectedVersion is the
// user's) and the whole resulting list is validated, so that each address
// type stays the default of at most one address. Violations about the
// address being added or changed are reported relative to it ("country",
// "types"); those about other addresses keep their list path
// ("addresses[2].types").

// addressSnapshot is the event payload describing an address.
type addressSnapshot struct {
	Label        string            `json:"label,omitempty"`
	Organization string            `json:"organization,omitempty"`
	NamePrefix   string            `json:"namePrefix,omitempty"`
	FirstName    string            `json:"firstName,omitempty"`
	MiddleName   string            `json:"middleName,omitempty"`
	LastName     string            `json:"lastName,omitempty"`
	NameSuffix   string            `json:"nameSuffix,omitempty"`
	Street       string            `json:"street"`
	Street2      string            `json:"street2,omitempty"`
	City         string            `json:"city"`
	PostalCode   string            `json:"postalCode"`
	Country      string            `json:"country"`
	Region       string            `json:"region,omitempty"`
	Phone        string            `json:"phone,omitempty"`
	Primary      bool              `json:"primary"`
	Types        []AddressTypeFlag `json:"types"`
}

func addressSnapshotOf(a Address) addressSnapshot {
	types := a.Types
	if types == nil {
		types = []AddressTypeFlag{}
	}
	return addressSnapshot{
		Label: a.Label, Organization: a.Organization, NamePrefix: a.NamePrefix, FirstName: a.FirstName,
		MiddleName: a.MiddleName, LastName: a.LastName, NameSuffix: a.NameSuffix, Street: a.Street,
		Street2: a.Street2, City: a.City, PostalCode: a.PostalCode, Country: a.Country, Region: a.Region,
		Phone: a.Phone, Primary: a.Primary, Types: types,
	}
}

// addressPayload is the payload of the address events.
type addressPayload struct {
	AddressID uuid.UUID        `json:"addressId"`
	Address   *addressSnapshot `json:"address,omitempty"`
	Changes   []cu.Change      `json:"changes,omitempty"`
}

// addressChanges lists the field-level differences between two versions of
// an address.
func addressChanges(before, after Address) []cu.Change {
	var ch []cu.Change
	b, a := addressSnapshotOf(before), addressSnapshotOf(after)
	for _, f := range []struct {
		name string
		x, y string
	}{
		{"label", b.Label, a.Label}, {"organization", b.Organization, a.Organization},
		{"namePrefix", b.NamePrefix, a.NamePrefix}, {"firstName", b.FirstName, a.FirstName},
		{"middleName", b.MiddleName, a.MiddleName}, {"lastName", b.LastName, a.LastName},
		{"nameSuffix", b.NameSuffix, a.NameSuffix}, {"street", b.Street, a.Street},
		{"street2", b.Street2, a.Street2}, {"city", b.City, a.City}, {"postalCode", b.PostalCode, a.PostalCode},
		{"country", b.Country, a.Country}, {"region", b.Region, a.Region}, {"phone", b.Phone, a.Phone},
	} {
		if f.x != f.y {
			ch = append(ch, cu.Change{Field: f.name, Before: f.x, After: f.y})
		}
	}
	if b.Primary != a.Primary {
		ch = append(ch, cu.Change{Field: "primary", Before: b.Primary, After: a.Primary})
	}
	if !slices.Equal(b.Types, a.Types) {
		ch = append(ch, cu.Change{Field: "types", Before: b.Types, After: a.Types})
	}
	return ch
}

// addressEdit is what an address operation did to the list: the index of
// the address concerned in the new list (-1 when removed), the event and
// its payload.
type addressEdit struct {
	index   int
	event   string
	payload addressPayload
}

// addressEditFunc edits the address list of a copy of a user, at now.
type addressEditFunc func(u *User, now time.Time) (addressEdit, error)

// addAddressEdit is the edit of AddAddress: a appended under a new id
// (stored in *id when id is not nil).
func (s *Service) addAddressEdit(a Address, id *uuid.UUID) addressEditFunc {
	return func(u *User, now time.Time) (addressEdit, error) {
		a.ID = s.newID()
		a.CreatedAt, a.UpdatedAt = now, now
		a.Types = slices.Clone(a.Types)
		u.Addresses = append(u.Addresses, a)
		if id != nil {
			*id = a.ID
		}
		i := len(u.Addresses) - 1
		return addressEdit{index: i, event: EventAddressAdded, payload: addressPayload{AddressID: a.ID}}, nil
	}
}

// updateAddressEdit is the edit of UpdateAddress: the address addressID
// replaced by a, keeping its id and creation time.
func updateAddressEdit(addressID uuid.UUID, a Address) addressEditFunc {
	return func(u *User, now time.Time) (addressEdit, error) {
		i := slices.IndexFunc(u.Addresses, func(x Address) bool { return x.ID == addressID })
		if i < 0 {
			return addressEdit{}, cu.NotFound("address")
		}
		old := u.Addresses[i]
		a.ID, a.CreatedAt, a.UpdatedAt = old.ID, old.CreatedAt, now
		a.Types = slices.Clone(a.Types)
		u.Addresses[i] = a
		return addressEdit{index: i, event: EventAddressUpdated, payload: addressPayload{AddressID: a.ID}}, nil
	}
}

// removeAddressEdit is the edit of RemoveAddress.
func removeAddressEdit(addressID uuid.UUID) addressEditFunc {
	return func(u *User, _ time.Time) (addressEdit, error) {
		i := slices.IndexFunc(u.Addresses, func(x Address) bool { return x.ID == addressID })
		if i < 0 {
			return addressEdit{}, cu.NotFound("address")
		}
		snap := addressSnapshotOf(u.Addresses[i])
		u.Addresses = slices.Delete(u.Addresses, i, i+1)
		return addressEdit{index: -1, event: EventAddressRemoved, payload: addressPayload{AddressID: addressID, Address: &snap}}, nil
	}
}

// AddAddress adds an address to a customer user (its id and timestamps are
// set here) and returns the updated user and the new address as stored.
// expectedVersion is the user's version; 0 means "no optimistic check".
func (s *Service) AddAddress(ctx context.Context, actor cu.Actor, userID uuid.UUID, a Address, expectedVersion int64) (User, Address, error) {
	var id uuid.UUID
	u, err := s.editAddresses(ctx, actor, userID, expectedVersion, role.Create, s.addAddressEdit(a, &id))
	if err != nil {
		return User{}, Address{}, err
	}
	i := slices.IndexFunc(u.Addresses, func(x Address) bool { return x.ID == id })
	if i < 0 {
		return User{}, Address{}, cu.Internal(errors.New("the added address is missing from the user"))
	}
	added := u.Addresses[i]
	added.Types = slices.Clone(added.Types)
	return u, added, nil
}

// UpdateAddress replaces an address of a customer user (keeping its id and
// creation time) and returns the updated user. An address that does not
// change writes nothing. expectedVersion is the user's version; 0 means
// "no optimistic check".
func (s *Service) UpdateAddress(ctx context.Context, actor cu.Actor, userID, addressID uuid.UUID, a Address, expectedVersion int64) (User, error) {
	return s.editAddresses(ctx, actor, userID, expectedVersion, role.Edit, updateAddressEdit(addressID, a))
}

// RemoveAddress removes an address of a customer user and returns the
// updated user. expectedVersion is the user's version; 0 means "no
// optimistic check".
func (s *Service) RemoveAddress(ctx context.Context, actor cu.Actor, userID, addressID uuid.UUID, expectedVersion int64) (User, error) {
	return s.editAddresses(ctx, actor, userID, expectedVersion, role.Delete, removeAddressEdit(addressID))
}

// editAddresses runs one address operation on a user in a transaction:
// read the user, check the operation (planAddressEdit), store the user and
// append the event.
func (s *Service) editAddresses(ctx context.Context, actor cu.Actor, userID uuid.UUID, expectedVersion int64, p role.Permission, edit addressEditFunc) (User, error) {
	if err := userActorCheck(actor); err != nil {
		return User{}, err
	}
	var out User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		before, err := s.d.Users.Get(ctx, actor.OrganizationID, userID)
		if err != nil {
			return cu.Internal(err)
		}
		now := s.now()
		u, e, changed, err := s.planAddressEdit(ctx, actor, before, expectedVersion, p, edit, now)
		if err != nil {
			return err
		}
		if !changed {
			out = before
			return nil
		}
		u.UpdatedAt = now
		if err := s.d.Users.Update(ctx, u, before.Version); err != nil {
			return cu.Internal(err)
		}
		u.Version = before.Version + 1
		if err := s.record(ctx, actor, e.event, SubjectCustomerUser, u.ID, e.payload); err != nil {
			return cu.Internal(err)
		}
		out = u
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// planAddressEdit is the checking step of an address operation on before
// (the user as stored, or as the earlier operations of an import batch
// leave it): authorize, check the version, edit a copy, validate the whole
// list and complete the event's payload. It returns the user edited and
// the edit; changed is false when the operation changes nothing (an
// update to the same values).
func (s *Service) planAddressEdit(ctx context.Context, actor cu.Actor, before User, expectedVersion int64, p role.Permission, edit addressEditFunc, now time.Time) (User, addressEdit, bool, error) {
	if err := s.authorizeAddressEdit(ctx, actor, before, p); err != nil {
		return User{}, addressEdit{}, false, err
	}
	if expectedVersion != 0 && expectedVersion != before.Version {
		return User{}, addressEdit{}, false, cu.Stale("customer user")
	}
	u := userCopy(before)
	e, err := edit(&u, now)
	if err != nil {
		return User{}, addressEdit{}, false, err
	}
	if v := addressRelative(validateAddresses(u.Addresses), e.index); len(v) > 0 {
		return User{}, addressEdit{}, false, cu.Invalid(v...)
	}
	switch e.event {
	case EventAddressAdded:
		snap := addressSnapshotOf(u.Addresses[e.index])
		e.payload.Address = &snap
	case EventAddressUpdated:
		old := before.Addresses[e.index]
		e.payload.Changes = addressChanges(old, u.Addresses[e.index])
		if len(e.payload.Changes) == 0 {
			return before, e, false, nil
		}
	}
	return u, e, true, nil
}

// addressRelative rewrites the violations of the address at index i to be
// relative to it ("addresses[3].country" becomes "country"); i < 0 changes
// nothing.
func addressRelative(v []cu.Violation, i int) []cu.Violation {
	if i < 0 {
		return v
	}
	prefix := fmt.Sprintf("addresses[%d].", i)
	for k := range v {
		if rest, ok := strings.CutPrefix(v[k].Field, prefix); ok {
			v[k].Field = rest
		}
	}
	return v
}
