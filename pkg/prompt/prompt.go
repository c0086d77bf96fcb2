// Package prompt assembles what the language model reads on each turn: the
// business's system prompt with a generated block about this conversation
// (agent, greeting already given, the date and time at the business,
// channel, intake rules, required and collected caller details, tool
// guidance), followed by the conversation so far, bounded in size.
//
// Build is deterministic: the same business, session, time and options give
// the same messages, with no model call. The caller's number as Twilio
// reported it (session.Caller.CallerID) never appears in what it builds.
package prompt

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tools"
)

// Defaults for Options: a session keeps inline (session.Recent*) exactly
// what the default history can use.
const (
	DefaultMaxHistoryChars = session.RecentChars
	DefaultMaxHistoryTurns = session.RecentTurns
)

// Options bound and shape the messages.
type Options struct {
	// MaxHistoryChars bounds the text of the history turns kept (the most
	// recent turn is always kept whole). Zero or less means
	// DefaultMaxHistoryChars.
	MaxHistoryChars int
	// MaxHistoryTurns bounds how many session turns are kept. Zero or less
	// means DefaultMaxHistoryTurns.
	MaxHistoryTurns int
	// Tools are the tools offered with the request (tools.Registry.For); the
	// guidance names only these. Nil gives generic guidance.
	Tools []llm.Tool
}

// Build returns the messages for one completion request: one system
// message, then the history from s.Turns (caller → user, agent →
// assistant, tool turns → short system notes). The caller's newest
// utterance must already be in s.Turns. The tool calls and results of the
// turn in progress are not in the session; the engine appends them after
// these messages.
func Build(b *business.Business, s *session.Session, now time.Time, opts Options) []llm.Message {
	if opts.MaxHistoryChars <= 0 {
		opts.MaxHistoryChars = DefaultMaxHistoryChars
	}
	if opts.MaxHistoryTurns <= 0 {
		opts.MaxHistoryTurns = DefaultMaxHistoryTurns
	}
	msgs := []llm.Message{{Role: llm.RoleSystem, Content: System(b, s, now, opts.Tools)}}
	return append(msgs, History(s.Turns, s.Earlier, opts)...)
}

// DateLayout is how the current time is written in the system prompt:
// "Saturday, November 28, 2026, 6:55 PM PST".
const DateLayout = "Monday, January 2, 2006, 3:04 PM MST"

// fieldLabels name the caller fields for the model.
var fieldLabels = map[string]string{
	business.FieldName:   "name",
	business.FieldPhone:  "callback phone number",
	business.FieldEmail:  "email address",
	business.FieldReason: "reason for calling",
}

func label(f string) string {
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	return f
}

// System returns the system message: the business's prompt with its
// placeholders filled, then the generated block.
func System(b *business.Business, s *session.Session, now time.Time, offered []llm.Tool) string {
	var w strings.Builder
	base := strings.TrimSpace(b.Fill(b.Prompts.System))
	if base == "" {
		base = fmt.Sprintf("You are %s, the virtual receptionist for %s.", b.AgentName(), b.DisplayName())
	}
	w.WriteString(base)
	w.WriteString("\n\n# This conversation\n")

	// Who the agent is.
	role := b.Agent.Role
	if role == "" {
		role = "virtual receptionist"
	}
	fmt.Fprintf(&w, "- You are %s, the %s for %s.", b.AgentName(), role, b.DisplayName())
	if b.Agent.Personality != "" {
		fmt.Fprintf(&w, " Personality: %s.", strings.TrimRight(b.Agent.Personality, ". "))
	}
	if b.Agent.PrimaryFunction != "" {
		fmt.Fprintf(&w, " Main job: %s.", strings.TrimRight(b.Agent.PrimaryFunction, ". "))
	}
	w.WriteString("\n")

	// The greeting already given.
	if g := greeting(b, s); g != "" {
		fmt.Fprintf(&w, "- The conversation opened with your greeting: %q. Do not greet or introduce yourself again.\n", g)
	}

	// Time at the business.
	loc := b.Location()
	local := now.In(loc)
	fmt.Fprintf(&w, "- Now at the business: %s (time zone %s).", local.Format(DateLayout), loc.String())
	if h := b.OperatingHours; h != nil {
		if h.OpenAt(now, loc) {
			w.WriteString(" The business is open right now.")
		} else {
			w.WriteString(" The business is closed right now.")
		}
	}
	w.WriteString("\n")

	// Channel.
	if s.Channel == session.ChannelWeb {
		w.WriteString("- Channel: text chat on the business's website. Reply in short plain-text messages (no markdown, no lists); numbers and addresses may be written normally.\n")
		w.WriteString("- This is not a phone call: never tell the visitor to press a key, dial an extension or hold the line, whatever the instructions above say.\n")
		say, _ := tools.EmergencyOffer(b, s)
		fmt.Fprintf(&w, "- Urgent messages: if the visitor describes an emergency or types #, tell them: %q", say)
		if tools.EmergencyNumber(b) == "" {
			w.WriteString(" Then ask for their phone number first and save it with the reason, so the team can call back.")
		}
		w.WriteString("\n")
	} else {
		w.WriteString("- Channel: phone call. Everything you write is spoken by text-to-speech: one to three short sentences, one question at a time, no lists, markdown, emoji or symbols. Read phone numbers digit by digit in groups (three, three, four) and spell email addresses out.\n")
		switch rs := s.State.Call.ResumeStaff; {
		case rs == session.ResumeEmergency:
			w.WriteString("- The on-call line did not answer a moment ago. Do not offer # again: take the caller's name, callback number and what happened, and tell them the team will call back as soon as possible.\n")
		case rs != "":
			name := rs
			if st, ok := tools.StaffByKey(b, rs); ok {
				name = st.Name
			}
			fmt.Fprintf(&w, "- %s did not answer the transfer a moment ago: take a message for them, and do not transfer to them again.\n", name)
		}
		if b.Features.EmergencyCallHandling && s.State.Call.ResumeStaff != session.ResumeEmergency {
			w.WriteString("- Emergencies: the caller can press the pound key (#) at any time to be transferred to the emergency contact; tell them so if they describe an emergency.")
			if e := b.Company.Emergency; e != nil && e.Instructions != "" {
				fmt.Fprintf(&w, " %s", strings.TrimSpace(e.Instructions))
			}
			w.WriteString("\n")
		}
	}

	// Caller details.
	w.WriteString("\n# Caller details\n")
	st := tools.Status(b, s)
	if len(st.Required) == 0 {
		w.WriteString("- This business requires no caller details before the conversation ends.\n")
	} else {
		req := make([]string, len(st.Required))
		for i, f := range st.Required {
			req[i] = label(f)
		}
		fmt.Fprintf(&w, "- Required before the conversation may end: %s.\n", strings.Join(req, ", "))
	}
	collected := collectedLines(st)
	if len(collected) == 0 {
		w.WriteString("- Collected so far: nothing yet.\n")
	} else {
		w.WriteString("- Collected so far: " + strings.Join(collected, "; ") + ".\n")
	}
	if len(st.Missing) > 0 {
		miss := make([]string, len(st.Missing))
		for i, f := range st.Missing {
			miss[i] = label(f)
		}
		fmt.Fprintf(&w, "- Still missing: %s.\n", strings.Join(miss, ", "))
	}
	if len(st.Declined) > 0 {
		dec := make([]string, len(st.Declined))
		for i, f := range st.Declined {
			dec[i] = label(f)
		}
		fmt.Fprintf(&w, "- The caller declined to give: %s. Do not press for it.\n", strings.Join(dec, ", "))
	}
	if s.Channel != session.ChannelWeb && slices.Contains(b.Intake.Required, business.FieldPhone) {
		w.WriteString("- You do not know the number the caller is calling from: ask for a callback number, never assume it.\n")
	}

	// The business's intake rules.
	if rs := b.Prompts.UserInfoCollection; rs != nil && (rs.SystemPrompt != "" || len(rs.Rules) > 0 || rs.Closing != "") {
		w.WriteString("\n# Collecting details\n")
		if rs.SystemPrompt != "" {
			w.WriteString(strings.TrimSpace(b.Fill(rs.SystemPrompt)) + "\n")
		}
		for _, r := range rs.Rules {
			w.WriteString("- " + strings.TrimSpace(b.Fill(r)) + "\n")
		}
		if rs.Closing != "" {
			w.WriteString("- Closing: " + strings.TrimSpace(b.Fill(rs.Closing)) + "\n")
		}
	}

	// Tools.
	w.WriteString("\n# Tools\n")
	w.WriteString(toolGuidance(offered))
	return strings.TrimRight(w.String(), "\n")
}

// greeting is the first thing the agent said: the session's first turn when
// it is the agent's (the web greeting is stored), else the business's
// greeting (on the phone, Twilio speaks it as ConversationRelay's welcome
// greeting and no turn is stored).
func greeting(b *business.Business, s *session.Session) string {
	if g := strings.TrimSpace(s.Greeting()); g != "" {
		return g
	}
	return strings.TrimSpace(agent.Greeting(b, s.Channel))
}

func collectedLines(st tools.Collection) []string {
	var out []string
	c := st.Collected
	if c.Name != "" {
		out = append(out, "name: "+c.Name)
	}
	if c.Phone != "" {
		p := "callback phone number: " + c.Phone
		if st.PhoneForSpeech != "" {
			p += " (say it as " + st.PhoneForSpeech + ")"
		}
		if slices.Contains(st.Unverified, business.FieldPhone) {
			p += " (not validated)"
		}
		out = append(out, p)
	}
	if c.Email != "" {
		e := "email address: " + c.Email
		if slices.Contains(st.Unverified, business.FieldEmail) {
			e += " (not validated)"
		}
		out = append(out, e)
	}
	if c.Reason != "" {
		out = append(out, "reason for calling: "+c.Reason)
	}
	return out
}

// guidance is a line per built-in tool, in this order.
var guidance = []struct{ tool, line string }{
	{tools.NameUpdateUserInfo, "Save each caller detail with update_user_info as soon as you hear it, and again whenever the caller corrects one."},
	{tools.NameValidatePhoneNumber, "Check every phone number with validate_phone_number and read it back from phone_for_speech before relying on it."},
	{tools.NameGetCollectionStatus, "Use get_collection_status when unsure what is still missing."},
	{tools.NameGetCompanyInfo, "Answer questions about the business (hours, address, phone, services, email, website) from get_company_info; never invent prices, availability or policies."},
	{tools.NameEndConversation, "When the caller needs nothing more and the required details are saved, say a short goodbye and call end_conversation in the same reply."},
}

func toolGuidance(offered []llm.Tool) string {
	if offered == nil {
		return "- Use your tools as their descriptions say. Never invent facts about the business, and never claim to have done something a tool did not confirm.\n"
	}
	var w strings.Builder
	names := make([]string, len(offered))
	for i, t := range offered {
		names[i] = t.Name
	}
	known := map[string]bool{}
	for _, g := range guidance {
		known[g.tool] = true
		if slices.Contains(names, g.tool) {
			w.WriteString("- " + g.line + "\n")
		}
	}
	var others []string
	for _, n := range names {
		if !known[n] {
			others = append(others, n)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(&w, "- Also available: %s; use them as their descriptions say.\n", strings.Join(others, ", "))
	}
	if len(names) == 0 {
		w.WriteString("- No tools are available in this conversation.\n")
	}
	w.WriteString("- Never claim to have saved, booked or sent anything a tool did not confirm. If a tool returns an error, follow what it says.\n")
	return w.String()
}

// ---------------------------------------------------------------------------
// History

// History renders turns as chat messages, keeping the most recent turns
// within opts' bounds (zero bounds mean the defaults). When older turns are
// dropped, one system note at the start says how many and what the caller
// first said.
func History(turns []session.Turn, earlier session.Earlier, opts Options) []llm.Message {
	maxChars, maxTurns := opts.MaxHistoryChars, opts.MaxHistoryTurns
	if maxChars <= 0 {
		maxChars = DefaultMaxHistoryChars
	}
	if maxTurns <= 0 {
		maxTurns = DefaultMaxHistoryTurns
	}
	// Choose the turns to keep, newest first.
	start, chars, kept := len(turns), 0, 0
	for i := len(turns) - 1; i >= 0; i-- {
		n := utf8.RuneCountInString(turns[i].Text)
		if kept > 0 && (kept+1 > maxTurns || chars+n > maxChars) {
			break
		}
		start, chars, kept = i, chars+n, kept+1
	}
	var msgs []llm.Message
	if start > 0 || earlier.Count() > 0 {
		msgs = append(msgs, llm.Message{Role: llm.RoleSystem, Content: droppedNote(earlier, turns[:start])})
	}
	var notes []string // tool notes waiting to be written
	flush := func() {
		if len(notes) > 0 {
			msgs = append(msgs, llm.Message{Role: llm.RoleSystem, Content: strings.Join(notes, "\n")})
			notes = nil
		}
	}
	for _, t := range turns[start:] {
		text := strings.TrimSpace(t.Text)
		switch t.Role {
		case session.RoleTool:
			notes = append(notes, toolNote(t))
		case session.RoleCaller:
			if text == "" {
				continue
			}
			flush()
			msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: text})
		case session.RoleAgent:
			if text == "" {
				continue
			}
			flush()
			msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Content: text})
			if t.Interrupted {
				notes = append(notes, "[the caller interrupted that reply; they heard only the part shown]")
			}
		}
	}
	flush()
	return msgs
}

// toolNotes lead a tool turn's note, by event kind.
var toolNotes = map[agent.Kind]string{
	agent.EventPhoneValidated:   "validated phone ",
	agent.EventPhoneInvalid:     "phone number rejected: ",
	agent.EventPhoneUnvalidated: "phone number kept without validation: ",
	agent.EventEmailInvalid:     "email address rejected: ",
	agent.EventEmailUnvalidated: "email address kept without validation: ",
	agent.EventInfoUpdated:      "saved caller details: ",
	agent.EventCompanyInfo:      "looked up company info: ",
	agent.EventQuestionNoted:    "noted a question for the team: ",
	agent.EventEmergency:        "emergency handling: ",
	agent.EventEnd:              "conversation end requested: ",
}

// toolNote renders a tool turn as a short note: "[validated phone (503)
// 555-0142]".
func toolNote(t session.Turn) string {
	d := clip(strings.TrimSpace(t.Text), 300)
	if lead, ok := toolNotes[agent.Kind(t.Tool)]; ok {
		return "[" + lead + d + "]"
	}
	s := t.Tool
	if s == "" {
		s = "tool"
	}
	if d != "" {
		s += ": " + d
	}
	return "[" + s + "]"
}

// droppedNote summarizes the turns left out of the history.
func droppedNote(earlier session.Earlier, dropped []session.Turn) string {
	caller, agent, tool := earlier.Caller, earlier.Agent, earlier.Tool
	first := strings.TrimSpace(earlier.FirstCaller)
	for _, t := range dropped {
		switch t.Role {
		case session.RoleCaller:
			caller++
			if first == "" && strings.TrimSpace(t.Text) != "" {
				first = strings.TrimSpace(t.Text)
			}
		case session.RoleAgent:
			agent++
		case session.RoleTool:
			tool++
		}
	}
	var w strings.Builder
	fmt.Fprintf(&w, "Earlier in this conversation: %d earlier %s not shown (%d from the caller, %d from you, %d tool %s).",
		caller+agent+tool, plural(caller+agent+tool, "turn is", "turns are"), caller, agent, tool, plural(tool, "note", "notes"))
	if first != "" {
		fmt.Fprintf(&w, " The caller first said: %q.", clip(first, 200))
	}
	w.WriteString(" Details saved then are listed under Caller details.")
	return w.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// clip cuts s to at most n characters, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
