package booking_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/booking"
	"github.com/ahca/ahca/pkg/session/sessiontest"
	"github.com/ahca/ahca/pkg/tenant"
)

// runContract is the one contract both stores meet.
func runContract(t *testing.T, newStore func(t *testing.T) booking.Store) {
	den := mustZone(t, "America/Denver")
	slotAt := func(h, m int) booking.Slot {
		s := time.Date(2026, 3, 9, h, m, 0, 0, den)
		return booking.Slot{Start: s, End: s.Add(30 * time.Minute)}
	}
	day := time.Date(2026, 3, 9, 0, 0, 0, 0, den)
	ctx := context.Background()

	t.Run("book and taken", func(t *testing.T) {
		st := newStore(t)
		if m, err := st.Taken(ctx, "acme", day); err != nil || len(m) != 0 {
			t.Fatalf("empty: %v %v", m, err)
		}
		if err := st.Book(ctx, "acme", slotAt(10, 0), booking.Booking{Name: "Jamie Rivera", Service: "demo"}); err != nil {
			t.Fatal(err)
		}
		if err := st.Book(ctx, "acme", slotAt(10, 30), booking.Booking{Name: "Pat Lee"}); err != nil {
			t.Fatal(err)
		}
		m, err := st.Taken(ctx, "acme", day)
		if err != nil || len(m) != 2 || !m[slotAt(10, 0).Start.UTC()] || !booking.TakenFrom(m)(slotAt(10, 30).Start) {
			t.Fatalf("taken %v %v", m, err)
		}
		if err := st.Book(ctx, "acme", slotAt(10, 0), booking.Booking{Name: "Someone Else"}); !errors.Is(err, booking.ErrSlotTaken) {
			t.Errorf("second booking: %v, want ErrSlotTaken", err)
		}
		// Another day is untouched; the day is the business's local date
		// (23:30 MST on the 9th is the 10th in UTC).
		late := booking.Slot{Start: time.Date(2026, 3, 9, 23, 30, 0, 0, den)}
		if err := st.Book(ctx, "acme", late, booking.Booking{Name: "Night Owl"}); err != nil {
			t.Fatal(err)
		}
		if m, _ := st.Taken(ctx, "acme", day); len(m) != 3 {
			t.Errorf("late slot not on its local day: %v", m)
		}
		if m, _ := st.Taken(ctx, "acme", day.AddDate(0, 0, 1)); len(m) != 0 {
			t.Errorf("next day: %v", m)
		}
	})

	t.Run("booked by", func(t *testing.T) {
		st := newStore(t)
		owner, ok := st.(interface {
			BookedBy(context.Context, tenant.ID, booking.Slot) (string, bool, error)
		})
		if !ok {
			t.Fatalf("%T cannot tell who booked a slot", st)
		}
		ctx := context.Background()
		if err := st.Book(ctx, "acme", slotAt(11, 0), booking.Booking{SessionID: "s-1", Name: "Ann"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			biz     tenant.ID
			slot    booking.Slot
			wantSID string
			wantOK  bool
		}{
			{"acme", slotAt(11, 0), "s-1", true},
			{"acme", slotAt(11, 30), "", false},
			{"other", slotAt(11, 0), "", false},
		}
		for _, tt := range tests {
			sid, ok, err := owner.BookedBy(ctx, tt.biz, tt.slot)
			if err != nil || sid != tt.wantSID || ok != tt.wantOK {
				t.Errorf("BookedBy(%s, %v) = %q, %v, %v; want %q, %v", tt.biz, tt.slot.Start, sid, ok, err, tt.wantSID, tt.wantOK)
			}
		}
	})

	t.Run("tenant isolation", func(t *testing.T) {
		st := newStore(t)
		if err := st.Book(ctx, "alpha", slotAt(9, 0), booking.Booking{Name: "A"}); err != nil {
			t.Fatal(err)
		}
		if m, err := st.Taken(ctx, "bravo", day); err != nil || len(m) != 0 {
			t.Errorf("bravo sees alpha's booking: %v %v", m, err)
		}
		if err := st.Book(ctx, "bravo", slotAt(9, 0), booking.Booking{Name: "B"}); err != nil {
			t.Errorf("bravo cannot book its own 09:00: %v", err)
		}
		if err := st.Book(ctx, "", slotAt(9, 0), booking.Booking{}); err == nil {
			t.Error("booked with no business")
		}
	})

	for _, n := range []int{2, 8} {
		t.Run(fmt.Sprintf("race %d", n), func(t *testing.T) {
			st := newStore(t)
			var wins, taken atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := st.Book(ctx, "acme", slotAt(14, 0), booking.Booking{Name: fmt.Sprintf("caller %d", i)})
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, booking.ErrSlotTaken):
						taken.Add(1)
					default:
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if wins.Load() != 1 || taken.Load() != int64(n-1) {
				t.Errorf("%d callers: %d won, %d told taken; want exactly one winner", n, wins.Load(), taken.Load())
			}
		})
	}
}

func TestMemoryStoreContract(t *testing.T) {
	runContract(t, func(*testing.T) booking.Store { return booking.NewMemoryStore() })
}

func TestDynamoStoreContract(t *testing.T) {
	runContract(t, func(t *testing.T) booking.Store {
		return booking.NewDynamoStore(sessiontest.LocalTable(t))
	})
}

// TestDynamoItemLayout pins the stored item's keys.
func TestDynamoItemLayout(t *testing.T) {
	ctx := context.Background()
	client, table := sessiontest.LocalTable(t)
	st := booking.NewDynamoStore(client, table)
	den := mustZone(t, "America/Denver")
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, den)
	created := time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	err := st.Book(ctx, "acme", booking.Slot{Start: start, End: start.Add(30 * time.Minute)},
		booking.Booking{SessionID: "s-1", Name: "Jamie Rivera", Email: "jamie@example.com", Service: "demo", CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	item := sessiontest.RawItem(t, client, table, "BIZ#acme#SLOTS#2026-11-01", "2026-11-01T16:00:00Z")
	for k, want := range map[string]string{
		"businessId": "acme", "sessionId": "s-1", "name": "Jamie Rivera", "email": "jamie@example.com",
		"service": "demo", "start": "2026-11-01T09:00:00-07:00", "end": "2026-11-01T09:30:00-07:00",
		"createdAt": "2026-10-30T12:00:00Z",
	} {
		if v, _ := item[k].(*types.AttributeValueMemberS); v == nil || v.Value != want {
			t.Errorf("item[%s] = %v, want %s", k, item[k], want)
		}
	}
	if _, ok := item["phone"]; ok {
		t.Error("empty phone stored")
	}
	if got := booking.SlotsPK("acme", start); got != "BIZ#acme#SLOTS#2026-11-01" {
		t.Errorf("SlotsPK %s", got)
	}
}
