package intake

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/session"
)

// answer says what the business's config says about t. ok is false when
// the config has nothing on it: text then says so (or is empty), and the
// caller's question is noted for the team.
func (a *Agent) answer(t topic, s *session.Session, now time.Time) (text string, ok bool) {
	c := a.b.Company
	switch t {
	case topicHours:
		if h, ok := a.hours(now); ok {
			return h, true
		}
		return "I don't have our hours handy, but I'll note that you asked.", false
	case topicAddress:
		if c.Address == "" {
			return "I don't have our address handy, but I'll note that you asked.", false
		}
		addr := strings.TrimRight(c.Address, ". ")
		if startsWithDigit(addr) {
			return "We're at " + addr + ".", true
		}
		if len(strings.Fields(addr)) <= 4 {
			return "We're based in " + addr + ".", true
		}
		return "Here's where to find us: " + addr + ".", true
	case topicPhone:
		if p := a.b.CallerPhone(); p != "" {
			return "Our number is " + p + ".", true
		}
		return "I don't have a number to give you, but the team can follow up with you directly.", false
	case topicWebsite:
		if c.Website == "" {
			return "I don't have a website to give you, but I'll note that you asked.", false
		}
		return "Our website is " + c.Website + ".", true
	case topicEmail:
		if c.Email == "" {
			return "I don't have an email address to give you, but the team can follow up with you directly.", false
		}
		return "You can email us at " + c.Email + ".", true
	case topicServices:
		if len(c.Services) == 0 {
			return "", false
		}
		items := make([]string, len(c.Services))
		for i, sv := range c.Services {
			items[i] = lowerFirst(strings.TrimRight(sv, ". "))
		}
		return "We offer " + business.ListWords(items, "and") + ".", true
	case topicAgent:
		if a.b.Agent.Name != "" {
			return fmt.Sprintf("I'm %s, the virtual assistant for %s.", a.b.Agent.Name, a.b.DisplayName()), true
		}
		return fmt.Sprintf("I'm the virtual assistant for %s.", a.b.DisplayName()), true
	case topicPerson:
		return "I can't transfer you from here, but I'll make sure the team gets your message and follows up.", true
	case topicSmallTalk:
		return "I'm doing well, thanks for asking!", true
	case topicPresence:
		return "Yes, I'm here.", true
	case topicWhy:
		return "It's so the team knows who to get back to, and how.", true
	}
	return "", false
}

// dayRank orders hours labels: weekdays first, then Monday..Sunday, then
// weekends, then anything else alphabetically.
func dayRank(label string) int {
	l := strings.ToLower(strings.TrimSpace(label))
	switch l {
	case "weekdays", "weekday", "monday-friday", "mon-fri", "monday - friday", "monday to friday":
		return 0
	case "weekends", "weekend", "saturday-sunday", "sat-sun":
		return 8
	}
	for d := time.Monday; d <= time.Saturday; d++ {
		if l == strings.ToLower(d.String()) {
			return int(d)
		}
	}
	if l == "sunday" {
		return 7
	}
	return 9
}

// hours describes the opening hours: companyInfo.hours if given, else the
// operating schedule, plus whether the business is open at now.
func (a *Agent) hours(now time.Time) (string, bool) {
	var out string
	if h := a.b.Company.Hours; len(h) > 0 {
		labels := make([]string, 0, len(h))
		for l := range h {
			labels = append(labels, l)
		}
		slices.SortFunc(labels, func(x, y string) int {
			if rx, ry := dayRank(x), dayRank(y); rx != ry {
				return rx - ry
			}
			return strings.Compare(x, y)
		})
		parts := make([]string, len(labels))
		for i, l := range labels {
			v := strings.TrimRight(strings.TrimSpace(h[l]), ".")
			if strings.EqualFold(v, "closed") {
				v = "closed"
			}
			parts[i] = labelName(l) + ": " + v
		}
		out = "Our hours are " + strings.Join(parts, "; ") + "."
	} else if oh := a.b.OperatingHours; oh != nil {
		out = "Our hours are " + oh.Spoken() + "."
	} else {
		return "", false
	}
	if oh := a.b.OperatingHours; oh != nil && !now.IsZero() {
		if oh.OpenAt(now, a.b.Location()) {
			out += " We're open right now."
		} else {
			out += " We're closed right now."
		}
	}
	return out, true
}

// labelName capitalizes day names ("saturday" → "Saturday") and leaves
// other labels lower-case ("weekdays").
func labelName(l string) string {
	if r := dayRank(l); r >= 1 && r <= 7 {
		return upperFirst(strings.ToLower(l))
	}
	return strings.ToLower(l)
}

func startsWithDigit(s string) bool {
	for _, r := range s {
		return unicode.IsDigit(r)
	}
	return false
}
