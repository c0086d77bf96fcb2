package calendars

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/tenant"
)

// Router is the booking.Store the agents use: each business's bookings go
// to its own calendar.provider — the builtin store, or that business's
// Google or Microsoft calendar (one store per business, so its token is
// reused).
type Router struct {
	Builtin booking.Store
	Configs func(ctx context.Context, id tenant.ID) (*business.Business, error)
	Options Options

	mu     sync.Mutex
	stores map[tenant.ID]booking.Store
}

func (r *Router) store(ctx context.Context, biz tenant.ID) (booking.Store, error) {
	b, err := r.Configs(ctx, biz)
	if err != nil {
		return nil, fmt.Errorf("booking: %w", err)
	}
	switch b.Calendar.Provider {
	case business.CalendarGoogle, business.CalendarMicrosoft:
	default:
		return r.Builtin, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.stores[biz]; ok {
		return s, nil
	}
	s, err := For(b, r.Options)
	if err != nil {
		return nil, err
	}
	if r.stores == nil {
		r.stores = map[tenant.ID]booking.Store{}
	}
	r.stores[biz] = s
	return s, nil
}

// Book books on the business's calendar.
func (r *Router) Book(ctx context.Context, biz tenant.ID, slot booking.Slot, bk booking.Booking) error {
	s, err := r.store(ctx, biz)
	if err != nil {
		return err
	}
	return s.Book(ctx, biz, slot, bk)
}

// Taken reports the taken slots of a day on the business's calendar.
func (r *Router) Taken(ctx context.Context, biz tenant.ID, day time.Time) (map[time.Time]bool, error) {
	s, err := r.store(ctx, biz)
	if err != nil {
		return nil, err
	}
	return s.Taken(ctx, biz, day)
}

// BookedBy tells who booked a slot when the business's store can say (the
// builtin calendar can; Google and Graph events carry no session).
func (r *Router) BookedBy(ctx context.Context, biz tenant.ID, slot booking.Slot) (string, bool, error) {
	s, err := r.store(ctx, biz)
	if err != nil {
		return "", false, err
	}
	if o, ok := s.(interface {
		BookedBy(context.Context, tenant.ID, booking.Slot) (string, bool, error)
	}); ok {
		return o.BookedBy(ctx, biz, slot)
	}
	return "", false, nil
}
