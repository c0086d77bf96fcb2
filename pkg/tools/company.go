package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/phone"
	"github.com/ahca/ahca/pkg/session"
)

// Info types of get_company_info.
var infoTypes = []string{"all", "hours", "phone", "address", "services", "email", "website"}

// GetCompanyInfo is get_company_info: what the business's companyInfo (and
// operating hours) say, by info_type. Every business has it. A number held
// as a secret reference, and the emergency contact's number, are never
// returned.
func GetCompanyInfo() Def {
	return Def{
		Name: NameGetCompanyInfo,
		Description: "Look up facts about this business to answer the caller: its hours (and whether it is open now), phone " +
			"number, address, services, email or website, or all of them. Answer only from what this returns; when something is " +
			"not on file, say the team can follow up.",
		Parameters: objectSchema([]string{"info_type"},
			`"info_type": {"type": "string", "enum": ["all", "hours", "phone", "address", "services", "email", "website"], "description": "What to look up; \"all\" returns everything on file."}`),
		Run: withArgs(runCompanyInfo),
	}
}

type companyResult struct {
	InfoType       string                     `json:"info_type"`
	Name           string                     `json:"name,omitempty"`
	About          string                     `json:"about,omitempty"`
	Phone          string                     `json:"phone,omitempty"`
	PhoneForSpeech string                     `json:"phone_for_speech,omitempty"`
	Email          string                     `json:"email,omitempty"`
	Website        string                     `json:"website,omitempty"`
	Address        string                     `json:"address,omitempty"`
	Services       []string                   `json:"services,omitempty"`
	Hours          map[string]string          `json:"hours,omitempty"`
	Schedule       []string                   `json:"schedule,omitempty"`
	Timezone       string                     `json:"timezone,omitempty"`
	OpenNow        *bool                      `json:"open_now,omitempty"`
	Emergency      string                     `json:"emergency,omitempty"`
	Facts          map[string]json.RawMessage `json:"facts,omitempty"`
	NotOnFile      string                     `json:"not_on_file,omitempty"`
}

type companyArgs struct {
	InfoType string `json:"info_type"`
}

func runCompanyInfo(_ context.Context, env Env, a companyArgs) (Outcome, error) {
	if !slices.Contains(infoTypes, a.InfoType) { // the schema's enum already checked it
		return Outcome{}, Invalidf("info_type must be one of %s", strings.Join(infoTypes, ", "))
	}
	b := env.Business
	c := b.Company
	res := companyResult{InfoType: a.InfoType}
	all := a.InfoType == "all"
	if all {
		res.Name = b.DisplayName()
		res.About = b.Description
		res.Facts = c.Facts
		switch e := c.Emergency; {
		case e == nil || !e.Available:
		case env.Session != nil && env.Session.Channel == session.ChannelWeb:
			// The instructions are the phone's (press #): a visitor gets the web's way.
			res.Emergency, _ = EmergencyOffer(b, env.Session)
		case e.Instructions != "":
			res.Emergency = e.Instructions
		}
	}
	if all || a.InfoType == "phone" {
		if n := b.CallerPhone(); n != "" {
			res.Phone = n
			if v, err := phone.ValidateNANP(n); err == nil {
				res.PhoneForSpeech = v.ForSpeech
			}
		}
	}
	if all || a.InfoType == "email" {
		res.Email = c.Email
	}
	if all || a.InfoType == "website" {
		res.Website = c.Website
	}
	if all || a.InfoType == "address" {
		res.Address = c.Address
	}
	if all || a.InfoType == "services" {
		res.Services = c.Services
	}
	if all || a.InfoType == "hours" {
		res.Hours = c.Hours
		if h := b.OperatingHours; h != nil {
			res.Schedule = h.DayLines()
			open := h.OpenAt(env.Now, b.Location())
			res.OpenNow = &open
		}
		if len(res.Hours) > 0 || len(res.Schedule) > 0 {
			res.Timezone = b.Timezone
		}
	}
	if !all && empty(res) {
		res.NotOnFile = fmt.Sprintf("the business has not given its %s; say you don't have it and that the team can follow up", a.InfoType)
	}
	out := Result(res)
	out.Event = &agent.Event{Kind: agent.EventCompanyInfo, Detail: a.InfoType}
	return out, nil
}

func empty(r companyResult) bool {
	return r.Phone == "" && r.Email == "" && r.Website == "" && r.Address == "" && len(r.Services) == 0 &&
		len(r.Hours) == 0 && len(r.Schedule) == 0
}
