package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ahca/ahca/pkg/tenant"
)

// Redriven is what Redrive did with one dead letter.
type Redriven struct {
	BusinessID tenant.ID
	SessionID  string
	// Sent are the emails sent now; AlreadySent were sent before (by an
	// earlier redrive or a late retry).
	Sent        []Sent
	AlreadySent []EmailKind
	// Done: every email of the session is sent and the dead letter is
	// deleted. Otherwise Err says why and the dead letter stays (updated).
	Done bool
	Err  error
}

// Redrive re-delivers the dead letters of a business ("" = every business
// Pipeline.Businesses lists): each one's emails are sent from the stored
// transcript (with the summary it was stored with) through the business's
// current configuration and provider. Their claims are reset first, and
// still guard the sends, so each email is sent exactly once even if
// redrives run concurrently or a late stream retry races them. A dead
// letter is deleted once all its emails are sent; one that fails again
// stays, with the new error. It returns how many dead letters were done,
// and the errors of the others.
func (p *Pipeline[M]) Redrive(ctx context.Context, biz tenant.ID) (int, error) {
	n := 0
	err := p.RedriveEach(ctx, biz, func(r Redriven) {
		if r.Done {
			n++
		}
	})
	return n, err
}

// RedriveEach is Redrive, calling report for each dead letter as it is
// handled (the operator CLI prints them).
func (p *Pipeline[M]) RedriveEach(ctx context.Context, biz tenant.ID, report func(Redriven)) error {
	if err := p.check(); err != nil {
		return err
	}
	businesses := []tenant.ID{biz}
	if biz == "" {
		if p.Businesses == nil {
			return errors.New("delivery: redrive of every business needs Pipeline.Businesses")
		}
		var err error
		if businesses, err = p.Businesses(ctx); err != nil {
			return fmt.Errorf("redrive: list businesses: %w", err)
		}
	}
	var errs []error
	for _, id := range businesses {
		dls, err := p.Store.DeadLetters(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("redrive %s: %w", id, err))
			continue
		}
		for _, dl := range dls {
			r := p.redriveOne(tenant.WithBusiness(ctx, id), dl)
			if report != nil {
				report(r)
			}
			if r.Err != nil {
				errs = append(errs, fmt.Errorf("redrive %s/%s: %w", dl.BusinessID, dl.SessionID, r.Err))
			}
		}
	}
	return errors.Join(errs...)
}

func (p *Pipeline[M]) redriveOne(ctx context.Context, dl *DeadLetter) Redriven {
	r := Redriven{BusinessID: dl.BusinessID, SessionID: dl.SessionID}
	rec, err := p.Store.Transcript(ctx, dl.BusinessID, dl.TranscriptKey)
	if err != nil {
		r.Err = fmt.Errorf("transcript: %w", err)
		return r
	}
	b, err := p.Configs.Business(ctx, dl.BusinessID)
	if err != nil {
		r.Err = fmt.Errorf("business config: %w", err)
		return r
	}
	for _, kind := range Kinds {
		k := ClaimKey{Business: dl.BusinessID, Session: dl.SessionID, Kind: kind}
		if _, err := p.Store.Revive(ctx, k, p.now()); err != nil {
			r.Err = err
			return r
		}
	}
	out, err := p.deliverRecord(ctx, b, rec, true)
	r.Sent, r.AlreadySent = out.sent, out.alreadySent
	switch {
	case err != nil:
		r.Err = err
	case len(out.dead) > 0:
		cause := out.cause
		if cause == nil {
			cause = errors.New("its claim was dead-lettered again concurrently")
		}
		r.Err = fmt.Errorf("%v email still failing: %w", slices.Compact(out.dead), cause)
	default:
		if err := p.Store.DeleteDeadLetter(ctx, dl.BusinessID, dl.SessionID); err != nil {
			r.Err = err
			return r
		}
		r.Done = true
		p.log().InfoContext(ctx, "dead letter redriven", "sessionId", dl.SessionID, "sent", len(out.sent))
	}
	return r
}
