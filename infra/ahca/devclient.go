package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/tenant"
)

// isRefused reports whether err is a refused connection: nothing listens.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// notListening is the one line for a stack that is not there.
func notListening(target string) string {
	return fmt.Sprintf("nothing is listening on %s — start it with \"make dev\" or point elsewhere with --url URL", target)
}

// refusedOrigin is the scheme and host of the URL whose connection err
// reports as refused, else fallback.
func refusedOrigin(err error, fallback string) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return fallback
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil || u.Host == "" {
		return fallback
	}
	return u.Scheme + "://" + u.Host
}

// The dev server's transcripts, as JSON, from whatever store it runs on:
//
//	GET /dev/transcripts?businessId=ID[&since=RFC3339][&limit=N]  newest first, without turns
//	GET /dev/transcripts/{session}?businessId=ID                  one record; 404 if none
func listTranscriptsHandler(records delivery.Records) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		biz, ok := businessParam(w, r)
		if !ok {
			return
		}
		q := r.URL.Query()
		var since time.Time
		if s := q.Get("since"); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, "since: want an RFC 3339 time")
				return
			}
			since = t
		}
		limit := 0
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				writeJSONError(w, http.StatusBadRequest, "limit: want a number ≥ 0")
				return
			}
			limit = n
		}
		rs, err := records.ListTranscripts(r.Context(), biz, since, limit)
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if rs == nil {
			rs = []*delivery.Record{}
		}
		writeJSON(w, http.StatusOK, rs)
	})
}

func showTranscriptHandler(records delivery.Records) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		biz, ok := businessParam(w, r)
		if !ok {
			return
		}
		rec, err := records.FindTranscript(r.Context(), biz, r.PathValue("session"))
		switch {
		case errors.Is(err, delivery.ErrNotFound):
			writeJSONError(w, http.StatusNotFound, "no such transcript")
		case err != nil:
			writeJSONError(w, http.StatusInternalServerError, err.Error())
		default:
			writeJSON(w, http.StatusOK, rec)
		}
	})
}

func businessParam(w http.ResponseWriter, r *http.Request) (tenant.ID, bool) {
	id, err := tenant.ParseID(r.URL.Query().Get("businessId"))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "businessId: "+err.Error())
		return "", false
	}
	return id, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// devRecords reads transcripts from a running `ahca dev`.
type devRecords struct{ base string }

func (d devRecords) ListTranscripts(ctx context.Context, biz tenant.ID, since time.Time, limit int) ([]*delivery.Record, error) {
	q := url.Values{"businessId": {string(biz)}, "limit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	var rs []*delivery.Record
	if err := d.get(ctx, "/dev/transcripts?"+q.Encode(), &rs); err != nil {
		return nil, err
	}
	return rs, nil
}

func (d devRecords) FindTranscript(ctx context.Context, biz tenant.ID, sessionID string) (*delivery.Record, error) {
	var r delivery.Record
	path := "/dev/transcripts/" + url.PathEscape(sessionID) + "?" + url.Values{"businessId": {string(biz)}}.Encode()
	if err := d.get(ctx, path, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// get reads a JSON answer of the dev server into v. A 404 in JSON is a
// missing transcript (delivery.ErrNotFound); any other failure says which
// server answered what.
func (d devRecords) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 64<<20)
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct != "application/json" {
		return fmt.Errorf("%s answered %s, not JSON: is it ahca dev (and a version with /dev/transcripts)?", d.base, resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.NewDecoder(body).Decode(&e)
		if resp.StatusCode == http.StatusNotFound {
			return delivery.ErrNotFound
		}
		return fmt.Errorf("%s%s: %s: %s", d.base, strings.SplitN(path, "?", 2)[0], resp.Status, e.Error)
	}
	if err := json.NewDecoder(body).Decode(v); err != nil {
		return fmt.Errorf("%s: reading the answer: %w", d.base, err)
	}
	return nil
}
