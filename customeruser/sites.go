package customeruser

import (
	"context"
	"slices"
	"sync"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// StaticSites is an in-memory Sites directory for tests, demos and hosts
// with a fixed set of websites. It is safe for concurrent use.
type StaticSites struct {
	mu       sync.RWMutex
	websites map[uuid.UUID]map[uuid.UUID]Website
	defaults map[uuid.UUID]uuid.UUID
}

// NewStaticSites returns an empty directory.
func NewStaticSites() *StaticSites {
	return &StaticSites{websites: map[uuid.UUID]map[uuid.UUID]Website{}, defaults: map[uuid.UUID]uuid.UUID{}}
}

// Add registers a website of an organization; the first one added to an
// organization is its default.
func (s *StaticSites) Add(org uuid.UUID, w Website) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Localizations = slices.Clone(w.Localizations)
	if s.websites[org] == nil {
		s.websites[org] = map[uuid.UUID]Website{}
		s.defaults[org] = w.ID
	}
	s.websites[org][w.ID] = w
}

// SetDefault makes a registered website the organization's default.
func (s *StaticSites) SetDefault(org, websiteID uuid.UUID) {
	s.mu.Lock()
	s.defaults[org] = websiteID
	s.mu.Unlock()
}

// Website returns a website of the organization.
func (s *StaticSites) Website(_ context.Context, org, id uuid.UUID) (Website, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.websites[org][id]
	if !ok {
		return Website{}, cu.NotFound("website")
	}
	w.Localizations = slices.Clone(w.Localizations)
	return w, nil
}

// DefaultWebsite returns the organization's default website.
func (s *StaticSites) DefaultWebsite(ctx context.Context, org uuid.UUID) (Website, error) {
	s.mu.RLock()
	id, ok := s.defaults[org]
	s.mu.RUnlock()
	if !ok {
		return Website{}, cu.NotFound("website")
	}
	return s.Website(ctx, org, id)
}
