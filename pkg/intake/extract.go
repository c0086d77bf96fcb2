package intake

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/contact"
	"github.com/ahca/ahca/pkg/phone"
)

// ---------------------------------------------------------------------------
// Questions the caller asks.

// topic is a kind of company question the agent can answer from config.
type topic string

const (
	topicHours     topic = "hours"
	topicAddress   topic = "address"
	topicPhone     topic = "phone"
	topicWebsite   topic = "website"
	topicEmail     topic = "email"
	topicServices  topic = "services"
	topicAgent     topic = "agent"  // who am I talking to / are you a robot
	topicPerson    topic = "person" // can I talk to someone
	topicSmallTalk topic = "smalltalk"
	topicWhy       topic = "why"      // why do you need my name/number?
	topicPresence  topic = "presence" // are you there?
)

// question is one question in the caller's utterance.
type question struct {
	span
	text   string
	topics []topic
	// specific is a yes/no question about one service ("do you install
	// vinyl fences?"): worth keeping as the reason for the call.
	specific bool
}

var (
	infoStarters = []string{
		"what", "what's", "whats", "when", "when's", "where", "where's", "how", "how's", "who", "who's", "which", "why",
		"do", "does", "did", "are", "is", "was", "were", "have", "has", "tell me", "i'm wondering", "i am wondering",
		"i was wondering", "i wonder", "wondering", "i'd like to know", "i would like to know", "i want to know",
		"any idea", "can you tell me", "could you tell me",
	}
	requestStarters = []string{"can", "could", "would", "will", "may", "should", "shall", "might"}
	// Openers skipped before looking for a question word.
	questionOpeners = set("so", "and", "also", "oh", "um", "uh", "hey", "okay", "ok", "well", "but", "hi", "hello", "yeah",
		"yes", "just", "quick", "question", "actually", "sorry", "and", "then", "one", "more", "thing", "first", "real")
)

var topicPatterns = []struct {
	topic topic
	re    *regexp.Regexp
}{
	{topicHours, regexp.MustCompile(`\b(hours?|open|opens|opening|close|closes|closing|closed)\b|\bwhat time\b`)},
	{topicAddress, regexp.MustCompile(`\b(address|located|location|directions)\b|\bwhere (are|is|'s|r) (you|y'all|your|the)\b|\bwhere you are\b|\bfind you\b|\bwhere's (your|the)\b`)},
	{topicPhone, regexp.MustCompile(`\b(your|the office|the clinic|the business|the shop|a) (phone )?number\b|\bphone number for\b|\bcall you\b|\byour phone\b|\btelephone\b`)},
	{topicWebsite, regexp.MustCompile(`\b(website|web site|web address|url|online)\b`)},
	{topicEmail, regexp.MustCompile(`\be-?mail\b`)},
	{topicServices, regexp.MustCompile(`\bservices?\b|\bwhat (do|does|can) (you|y'all|you guys|your \w+|the \w+) (do|offer|provide|handle|sell|help with)\b|\bwhat kinds? of (work|services|things|jobs|stuff)\b|\bwhat do you do\b`)},
	{topicAgent, regexp.MustCompile(`\bwho (is this|am i (speaking|talking) (with|to)|are you|is speaking)\b|\b(are|is) (you|this|it) (a |an )?(real|human|person|robot|bot|ai|machine|computer|recording)\b|\bam i (talking|speaking) (to|with) (a |an )?(real|human|person|robot|bot|ai|machine|computer|recording)\b|\byour name\b`)},
	{topicPerson, regexp.MustCompile(`\b(speak|talk) (to|with)\b|\b(real|live) person\b|\boperator\b|\b(transfer|connect|put) me\b`)},
	{topicSmallTalk, regexp.MustCompile(`^(how are you|how's it going|how are things|how you doing|how are you doing)\b`)},
	{topicPresence, regexp.MustCompile(`^(hello )?(are you (still )?there|is (anyone|anybody|someone) there|can you hear me)\b`)},
	{topicWhy, regexp.MustCompile(`\bwhy (do|would) you (need|want)\b|\bwhat do you need (it|that|my \w+) for\b|\bwhy are you asking\b|\bwhat's (it|that) for\b`)},
}

// anyPerson asks for anyone at all, not a particular person.
var anyPerson = regexp.MustCompile(`\b(speak|talk) (to|with) (a |an )?(someone|somebody|anyone|anybody|real|live|human|person)\b`)

// specificService is "do you install/repair/... X", a yes/no question about
// one service.
var specificService = regexp.MustCompile(`\bdo (you|y'all|you guys|you all) (do|offer|install|repair|fix|build|sell|provide|handle|service|treat|see|work on|carry|make|replace|put in)\b`)

// addressWords keeps "email address" and "web address" from meaning the
// street address.
var addressWords = strings.NewReplacer("e-mail address", "email", "email address", "email", "web address", "website")

var myField = regexp.MustCompile(`\bmy (e-?mail|phone|number|address)\b`)

// findQuestions finds the questions in text. Within a sentence, a question
// starts at the first clause that opens with a question word and runs to
// the sentence end; a sentence ending in "?" with no question word is a
// question as a whole. Requests phrased as questions ("can you come out
// Monday?") count only when they ask about a known topic; otherwise they
// are statements (usually the reason for the call).
func findQuestions(text string) []question {
	clauses, ends := splitClauses(text)
	bySentence := make([][]clause, len(ends))
	for _, c := range clauses {
		if c.sentence < len(bySentence) {
			bySentence[c.sentence] = append(bySentence[c.sentence], c)
		}
	}
	var out []question
	for si, end := range ends {
		sc := bySentence[si]
		if len(sc) == 0 {
			continue
		}
		start, request, found := -1, false, false
		for _, c := range sc {
			if ok, req := startsQuestion(text[c.start:c.end]); ok {
				start, request, found = c.start, req, true
				break
			}
		}
		if !found {
			whole := text[sc[0].start:end]
			if !strings.HasSuffix(strings.TrimSpace(whole), "?") || !meaningful(whole) {
				continue // "Hello?" is not a question
			}
			start = sc[0].start
		}
		q := question{span: span{start, end}, text: strings.TrimSpace(text[start:end])}
		low := addressWords.Replace(norm(q.text))
		mine := myField.MatchString(low)
		for _, tp := range topicPatterns {
			if !tp.re.MatchString(low) {
				continue
			}
			if mine && (tp.topic == topicEmail || tp.topic == topicPhone || tp.topic == topicAddress) {
				continue
			}
			if tp.topic == topicPerson && has(q.topics, topicAgent) {
				continue
			}
			q.topics = append(q.topics, tp.topic)
		}
		if has(q.topics, topicPerson) && !anyPerson.MatchString(low) {
			q.specific = true // "can I speak to Dr. Patel?" says what it is about
		}
		if specificService.MatchString(low) {
			if !has(q.topics, topicServices) {
				q.topics = append(q.topics, topicServices)
			}
			q.specific = true
		}
		if request && len(q.topics) == 0 {
			continue // "can you fix my gate?" is what they are calling about
		}
		out = append(out, q)
	}
	return out
}

func has(ts []topic, t topic) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// startsQuestion reports whether a clause opens with a question word, and
// whether that word makes it a request ("can you ...").
func startsQuestion(c string) (ok, request bool) {
	ws := wordsOf(quoteFixer.Replace(c))
	for len(ws) > 0 && questionOpeners[ws[0]] {
		ws = ws[1:]
	}
	if len(ws) == 0 {
		return false, false
	}
	s := strings.Join(ws, " ")
	for _, p := range infoStarters {
		if hasWordPrefix(s, p) {
			// "do" and "is" open statements too ("is down", "do come"):
			// require a subject after them.
			if (p == "do" || p == "does" || p == "did" || p == "is" || p == "are" || p == "was" || p == "were" || p == "have" || p == "has") && len(ws) < 3 {
				return false, false
			}
			return true, false
		}
	}
	for _, p := range requestStarters {
		if hasWordPrefix(s, p) && len(ws) >= 2 {
			switch ws[1] {
			case "you", "i", "we", "someone", "somebody", "anyone", "y'all", "they", "he", "she", "the":
				return true, true
			}
		}
	}
	return false, false
}

var emergencyRe = regexp.MustCompile(`\b(emergency|emergencies|urgent|urgently|asap|immediately|right away|right now)\b`)

// ---------------------------------------------------------------------------
// Yes, no, goodbye, refusals, field mentions.

var (
	yesPhrases = []string{"yes", "yeah", "yep", "yup", "ya", "yea", "yes it is", "correct", "that's correct", "that is correct",
		"right", "that's right", "that is right", "thats right", "sounds good", "sounds right", "perfect", "exactly", "sure",
		"absolutely", "uh huh", "mhm", "mm hmm", "affirmative", "all good", "looks good", "you got it", "ok", "okay",
		"great", "good", "it is", "all correct", "all right", "alright", "that works", "yes please", "you bet", "definitely",
		"that's it", "that's all correct", "all of that is correct", "spot on", "bingo", "indeed", "true", "that is it",
		"it's fine", "that's fine", "it's correct", "it's right", "it's good", "it's all good", "it's all correct",
		"looks right", "everything's correct", "everything is correct", "everything's right", "all fine"}
	strongYes = []string{"that's right", "that is right", "that's correct", "that is correct", "correct", "all correct", "yes it is"}
	noPhrases = []string{"no", "nope", "nah", "wrong", "incorrect", "not quite", "not really", "not exactly", "that's wrong",
		"that is wrong", "that's not right", "that is not right", "that's not correct", "that is not correct",
		"not correct", "not right", "negative", "actually", "wait", "hold on", "oops", "sorry", "nah", "mistake", "that's not it"}
	notNo = []string{"no problem", "no worries", "no rush", "no thanks", "no thank you"}
)

// yesNo reads an answer to a yes/no question from the first clause of s.
func yesNo(s string) (yes, no bool) {
	first := s
	if i := strings.IndexAny(s, ".,;!?"); i >= 0 {
		first = s[:i]
	}
	f := norm(first)
	all := norm(s)
	for _, p := range notNo {
		if hasWordPrefix(all, p) {
			return false, false
		}
	}
	for _, p := range noPhrases {
		if hasWordPrefix(f, p) {
			no = true
		}
	}
	for _, p := range yesPhrases {
		if hasWordPrefix(f, p) {
			yes = true
		}
	}
	if no {
		for _, p := range strongYes {
			if strings.Contains(" "+all+" ", " "+p+" ") && !strings.Contains(all, "not "+p) && !strings.Contains(all, "n't "+p) {
				return true, false // "no, that's right"
			}
		}
		return false, true
	}
	return yes, false
}

var (
	goodbyeRe          = regexp.MustCompile(`^(no )?(that's all|that is all|that's it|that is it|that'll be all|that will be all|nothing|nothing else|no thanks|no thank you|never ?mind|nevermind|bye|goodbye|good bye|bye bye|i'm good|i am good|i'm all set|all set|i'm fine|that's everything|i'm done|i'm all good|not right now|not today|no that's okay|forget it)( for now| then)?( thanks| thank you| bye| goodbye| so much| have a good (one|day|night))*$`)
	hangUpRe           = regexp.MustCompile(`^((actually|oh|ok|okay|well|um|uh|no|sorry|alright|all right|thanks|thank you|that's all|that's it) )*(bye|goodbye|good bye|bye bye|never ?mind|nevermind|forget it|forget about it)( now| then| for now)?( thanks| thank you| bye| goodbye)*$`)
	refuseRe           = regexp.MustCompile(`\b(rather not|prefer not|don't want to|do not want to|not comfortable|no thanks|no thank you|skip (it|that|this)|i'd rather not|don't have (one|an? (email|e-mail|phone|cell|number))|no (email|e-mail|phone|cell)( address| number)?|i don't use (email|e-mail)|not giving)\b`)
	sameNumRe          = regexp.MustCompile(`\b(this number|same number|this one|the one i'm calling (from|on)|number i'm calling (from|on)|i'm calling from|calling from|caller id|the number i called from|the number you have|number that came up|number showing|number on (the )?(screen|display))\b`)
	greetingRe         = regexp.MustCompile(`^((yes|yeah|oh|um|uh) )?(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))( there)?( hi| hello)?$`)
	questionAnnounceRe = regexp.MustCompile(`^(i (have|had|got|just have) a (quick |couple |few )?(question|questions)( for you)?|i've got a (quick )?question|quick question|question|can i ask (you )?(a|something)( question)?|i was wondering something)$`)
	messageRe          = regexp.MustCompile(`\b(leave|take|pass on|pass along) (a )?message\b`)
	// messageFor is the addressee of "leave a message for Jordan".
	messageFor = regexp.MustCompile(`(?i)\bmessage (for [\p{L}'. -]+?)\s*$`)
)

var fieldMentions = []struct {
	field string
	re    *regexp.Regexp
}{
	{fieldName, regexp.MustCompile(`\b(name|spell|spelling|spelled|first name|last name|surname)\b`)},
	{fieldPhone, regexp.MustCompile(`\b(phone|number|digits|cell)\b`)},
	{fieldEmail, regexp.MustCompile(`\be-?mail\b|\bemail address\b`)},
	{fieldReason, regexp.MustCompile(`\b(reason|message|issue|problem|why i called|why i'm calling|what i said)\b`)},
}

// fineRe closes the "what should I change?" step: nothing needs changing.
var fineRe = regexp.MustCompile(`^(nothing|none|no changes?|never ?mind|leave it|it's fine|it's all fine|that's fine|all good|it's all good|it's good|never mind it's fine)\b`)

// reasonLeadRe opens more detail about the call while the agent asks for
// something else: "it's about Max's surgery follow-up".
var reasonLeadRe = regexp.MustCompile(`^(it's|it is|this is) (about|regarding|for|concerning)\b|^(i'm|i am|i was) calling (about|because|regarding|to)\b|^the reason\b|^(regarding|concerning)\b`)

// negativeRe says something read back is wrong even without a "no".
var negativeRe = regexp.MustCompile(`\b(wrong|incorrect|not right|not correct|isn't right|isn't correct|mistake|typo|misspelled|change|fix|update)\b`)

// mentionedField returns the one collected field the caller names ("the
// phone number is wrong"), or "".
func mentionedField(s string) string {
	n := norm(s)
	var found []string
	for _, m := range fieldMentions {
		if m.re.MatchString(n) {
			found = append(found, m.field)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// ---------------------------------------------------------------------------
// Names.

// nonNames are words that follow "I'm", "this is", "it's" without being a
// name, and words that are never a name on their own.
var nonNames = set(
	"yes", "yeah", "yep", "yup", "no", "nope", "nah", "ok", "okay", "sure", "hi", "hello", "hey", "thanks", "thank", "you",
	"um", "umm", "uh", "er", "hmm", "so", "well", "right", "correct", "wrong", "the", "a", "an", "and", "or", "but", "my",
	"your", "our", "their", "his", "her", "it", "its", "it's", "is", "are", "was", "were", "be", "been", "i", "i'm", "me",
	"we", "us", "they", "calling", "call", "looking", "trying", "wondering", "hoping", "interested", "just", "not",
	"sorry", "here", "there", "this", "that", "these", "those", "what", "when", "where", "why", "how", "who", "which",
	"about", "because", "for", "from", "with", "to", "at", "in", "on", "of", "by", "as", "phone", "number", "email",
	"address", "name", "spelled", "spell", "fence", "gate", "dog", "cat", "pet", "appointment", "quote", "help", "good",
	"fine", "great", "new", "urgent", "emergency", "back", "home", "tomorrow", "today", "tonight", "later", "anytime",
	"soon", "asap", "after", "before", "if", "still", "also", "too", "very", "really", "actually", "basically", "having",
	"getting", "going", "gonna", "need", "needing", "want", "wanting", "like", "would", "could", "can", "will", "should",
	"have", "has", "had", "got", "do", "does", "did", "done", "locked", "stuck", "sick", "worried", "afraid", "happy",
	"glad", "ready", "available", "out", "up", "down", "over", "off", "all", "set", "calling", "speaking", "fine", "doing",
	"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "zero", "oh", "o", "nothing", "none",
	"someone", "somebody", "anyone", "everyone", "customer", "client", "owner", "homeowner", "neighbor", "mom", "dad",
	"wife", "husband", "again", "yet", "already", "now", "then", "mr", "mrs", "ms", "dr", "please", "perfect", "exactly",
	"absolutely", "alright", "true", "false", "maybe", "probably", "definitely", "around", "near", "outside", "inside",
	"message", "reason", "question", "problem", "issue", "mail", "e-mail", "cell", "mobile", "text", "correct", "fixed",
	"broken", "gone", "missing", "lost", "open", "closed", "sure", "positive", "certain", "bye", "goodbye", "morning",
	"afternoon", "evening", "night", "real", "person", "human", "robot", "machine", "assistant", "agent", "same", "different",
	"fantastic", "wonderful", "awesome", "cool", "fun", "busy", "free", "late", "early", "tired", "confused",
	"first", "second", "last", "next", "quick", "wait", "hold", "sec", "second", "moment", "minute", "hang", "well",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "week", "month", "year",
	"curious", "unsure", "upset", "away", "important", "serious", "bad", "crazy", "weird", "ridiculous", "terrible",
	"awful", "insane", "annoying", "frustrating", "sad", "angry", "mad", "scared", "nervous", "desperate", "stressed",
	"calling", "pregnant", "retired", "local", "nearby", "close", "far", "unable", "able", "trying", "having",
	"hoping", "wondering", "thinking", "planning", "interested", "concerned", "aware", "sure", "certain", "urgently",
)

// nameTriggers introduce a name. Strong ones ("my name is") take any name
// that follows. After medium ones ("this is", "I'm", "call me") and weak
// ones a lower-case name must end its clause ("hi this is jamie, ..."), so
// "I'm locked out" is not a name; a capitalized one need not. Weak ones
// ("it's Jamie") only count when the agent asked for the name or is
// confirming.
var nameTriggers = []struct {
	words    []string
	strength int // 2 strong, 1 medium, 0 weak
	part     string
}{
	{[]string{"my", "name", "is"}, 2, ""},
	{[]string{"my", "name's"}, 2, ""},
	{[]string{"the", "name", "is"}, 2, ""},
	{[]string{"the", "name's"}, 2, ""},
	{[]string{"name", "is"}, 2, ""},
	{[]string{"name's"}, 2, ""},
	{[]string{"my", "first", "name", "is"}, 2, "first"},
	{[]string{"first", "name", "is"}, 2, "first"},
	{[]string{"my", "last", "name", "is"}, 2, "last"},
	{[]string{"last", "name", "is"}, 2, "last"},
	{[]string{"my", "surname", "is"}, 2, "last"},
	{[]string{"you", "can", "call", "me"}, 1, ""},
	{[]string{"call", "me"}, 1, ""},
	{[]string{"this", "is"}, 1, ""},
	{[]string{"i'm"}, 1, ""},
	{[]string{"im"}, 1, ""},
	{[]string{"i", "am"}, 1, ""},
	{[]string{"it's"}, 0, ""},
	{[]string{"its"}, 0, ""},
	{[]string{"it", "is"}, 0, ""},
	{[]string{"that's"}, 0, ""},
}

// nameHit is a name found in the text.
type nameHit struct {
	name string
	span span
	part string // "", "first" or "last": which part of the name was given
}

// nameMode says how eagerly to read a name.
type nameMode struct {
	asked   bool // the agent just asked for the name: bare answers count
	correct bool // the agent is confirming: "it's Sam" is a correction
}

// findName finds the caller's name in text.
func findName(text string, mode nameMode) (nameHit, bool) {
	ts := mergeSpelled(tokens(text))
	// Triggered names.
	for i := range ts {
		if i > 0 && ts[i-1].kind == kWord && ts[i].kind == kWord {
			// A trigger starts a word run only after a boundary or at a
			// clause start; "my dog's name is Max" must not match "name is".
			if ts[i].lower == "name" || ts[i].lower == "name's" {
				prev := ts[i-1].lower
				if prev != "my" && prev != "the" && prev != "first" && prev != "last" && prev != "and" && prev != "so" && prev != "well" {
					continue
				}
			}
		}
		for _, tr := range nameTriggers {
			n := len(tr.words)
			if i+n > len(ts) || !matchWords(ts[i:i+n], tr.words) {
				continue
			}
			if tr.strength == 0 && !mode.asked && !mode.correct {
				continue
			}
			// Skip "spelled", "actually", "just" after the trigger.
			j := i + n
			for j < len(ts) && ts[j].kind == kWord && (ts[j].lower == "spelled" || ts[j].lower == "actually" || ts[j].lower == "just" || ts[j].lower == "um" || ts[j].lower == "uh") {
				j++
			}
			// A lower-case name after "this is"/"I'm" must end its clause
			// ("hi this is jamie, ..."), which keeps out "I'm locked out".
			words, end, _, ok := nameWords(ts, j, false, tr.strength < 2)
			if !ok {
				continue
			}
			return nameHit{name: contact.FormatName(words), span: span{ts[i].start, end}, part: tr.part}, true
		}
	}
	// "Jamie Rivera here", "Jamie speaking".
	clauses, _ := splitClauses(text)
	for _, c := range clauses {
		cts := mergeSpelled(tokens(text[c.start:c.end]))
		cts = trimTokens(cts)
		for len(cts) > 0 && cts[0].kind == kWord && (fillers[cts[0].lower] && !isCapName(cts[0])) {
			cts = cts[1:]
		}
		if n := len(cts); n >= 2 && n <= 4 && (cts[n-1].lower == "here" || cts[n-1].lower == "speaking") {
			words, _, next, ok := nameWords(cts, 0, true, false)
			if ok && next == n-1 {
				return nameHit{name: contact.FormatName(words), span: span{c.start + cts[0].start, c.start + cts[n-1].end}}, true
			}
		}
	}
	if !mode.asked {
		return nameHit{}, false
	}
	// A bare answer to "may I have your name?": the first clause, if it is
	// only a name (and perhaps its spelling).
	for _, c := range clauses {
		cts := trimTokens(mergeSpelled(tokens(text[c.start:c.end])))
		for len(cts) > 0 && cts[0].kind == kWord && leadingFillers[cts[0].lower] {
			cts = cts[1:]
		}
		if len(cts) == 0 {
			continue
		}
		words, end, k, ok := nameWords(cts, 0, false, false)
		// The rest of the clause must be nothing but "and ..." or empty.
		if !ok || k < len(cts) && cts[k].lower != "and" && cts[k].kind != kPunct {
			continue // "It's urgent! Jamie.": look at the next clause
		}
		return nameHit{name: contact.FormatName(words), span: span{c.start + cts[0].start, c.start + end}}, true
	}
	return nameHit{}, false
}

func matchWords(ts []tok, words []string) bool {
	for k, w := range words {
		if ts[k].kind != kWord || ts[k].lower != w {
			return false
		}
	}
	return true
}

// trimTokens drops leading and trailing punctuation.
func trimTokens(ts []tok) []tok {
	for len(ts) > 0 && ts[0].kind == kPunct {
		ts = ts[1:]
	}
	for len(ts) > 0 && ts[len(ts)-1].kind == kPunct {
		ts = ts[:len(ts)-1]
	}
	return ts
}

func isCapName(t tok) bool {
	r, _ := utf8.DecodeRuneInString(t.text)
	return unicode.IsUpper(r) && !nonNames[t.lower]
}

// nameWords reads up to four name words from ts[i:]. With needCaps the
// first word must be capitalized (or spelled) and so must the rest, bar
// particles. With lone (a medium trigger on a lower-case name) the name must
// end its clause. It then folds in a spelling that follows ("Jamie, J A M I
// E"). It returns the words, the end offset of what it consumed, the index
// of the next token, and ok.
func nameWords(ts []tok, i int, needCaps, lone bool) ([]string, int, int, bool) {
	var words []string
	end := -1
	caps := true
	j := i
	for j < len(ts) && len(words) < 4 {
		t := ts[j]
		if t.kind != kWord || !nameLike(t) {
			break
		}
		upper := isUpperStart(t) || t.spelled
		if len(words) == 0 {
			if needCaps && !upper {
				return nil, 0, 0, false
			}
			caps = upper
		} else if caps && !upper {
			if contact.IsParticle(t.lower) && j+1 < len(ts) && isUpperStart(ts[j+1]) {
				words = append(words, t.lower)
				j++
				continue
			}
			break
		}
		words = append(words, t.text)
		end = t.end
		j++
	}
	if len(words) == 0 {
		return nil, 0, 0, false
	}
	if !caps && lone {
		// "i'm jamie" is a name, "i'm locked out" is not.
		if j < len(ts) && ts[j].kind == kWord && ts[j].lower != "and" && ts[j].lower != "calling" && ts[j].lower != "from" && ts[j].lower != "here" {
			return nil, 0, 0, false
		}
		for _, w := range words {
			l := strings.ToLower(w)
			if strings.HasSuffix(l, "ing") || strings.HasSuffix(l, "ed") || strings.HasSuffix(l, "ly") {
				return nil, 0, 0, false
			}
		}
	}
	// A spelling after the name: "Jamie, that's J A M I E".
	k := j
	for k < len(ts) {
		t := ts[k]
		if t.kind == kPunct && (t.text == "," || t.text == "." || t.text == "-" || t.text == ":") {
			k++
			continue
		}
		if t.kind == kWord && !t.spelled && (t.lower == "that's" || t.lower == "thats" || t.lower == "spelled" || t.lower == "spelt" || t.lower == "it's" || t.lower == "its" || t.lower == "that" || t.lower == "is" || t.lower == "as" || t.lower == "like") {
			k++
			continue
		}
		if t.kind == kWord && t.spelled && utf8.RuneCountInString(t.text) >= 2 {
			words = foldSpelling(words, t.text)
			end = t.end
			j = k + 1
			k = j
			continue
		}
		break
	}
	return words, end, j, true
}

// foldSpelling puts a spelled word in place of the spoken word it spells
// (same first letter), or appends it.
func foldSpelling(words []string, spelled string) []string {
	for i := len(words) - 1; i >= 0; i-- {
		if strings.EqualFold(words[i][:1], spelled[:1]) {
			words[i] = spelled
			return words
		}
	}
	if len(words) < 4 {
		words = append(words, spelled)
	}
	return words
}

func nameLike(t tok) bool {
	if nonNames[t.lower] && !t.spelled {
		return false
	}
	n := utf8.RuneCountInString(t.text)
	if n < 2 && !t.spelled {
		return false
	}
	for _, r := range t.text {
		if !unicode.IsLetter(r) && r != '\'' && r != '-' {
			return false
		}
	}
	return true
}

func isUpperStart(t tok) bool {
	r, _ := utf8.DecodeRuneInString(t.text)
	return unicode.IsUpper(r)
}

// firstName is the first word of a name.
func firstName(name string) string {
	if i := strings.IndexByte(name, ' '); i > 0 {
		return name[:i]
	}
	return name
}

// ---------------------------------------------------------------------------
// Phone numbers.

// phoneHit is a phone number found in the text, valid or not.
type phoneHit struct {
	num    phone.NANP
	err    error  // why it is not a valid number
	digits string // the digits heard
	span   span
}

var ordinal = regexp.MustCompile(`(?i)^\d+(st|nd|rd|th|am|pm|s)$`)

// findPhone looks for a phone number. Unless asked is set (the agent just
// asked for the number), only runs of at least 7 digits count, so "two
// dogs" or "a 6 foot fence" are not numbers.
func findPhone(text string, asked bool) (phoneHit, bool) {
	runs := phone.DigitRuns(text)
	var best *phone.DigitRun
	for i := range runs {
		r := &runs[i]
		if n := len(r.Digits); n == 10 || (n == 11 && r.Digits[0] == '1') {
			best = r
			break
		}
		if best == nil || len(r.Digits) > len(best.Digits) {
			best = r
		}
	}
	if best == nil || (len(best.Digits) < 7 && !asked) {
		if asked {
			// Letters only, like "CALL-NOW", or digits glued to letters.
			for _, f := range strings.Fields(text) {
				if hasDigit(f) && hasLetter(f) && !ordinal.MatchString(strings.Trim(f, ".,!?")) {
					_, err := phone.ValidateNANP(strings.Trim(f, ".,!?"))
					return phoneHit{err: err, digits: digitsOnly(f), span: span{strings.Index(text, f), strings.Index(text, f) + len(f)}}, true
				}
			}
		}
		return phoneHit{}, false
	}
	hit := phoneHit{digits: best.Digits, span: span{best.Start, best.End}}
	// Letters glued to the digits ("503-555-CALL"): say so.
	end := best.End
	for end < len(text) && (text[end] == '-' || text[end] == '.') {
		end++
	}
	glued := (end < len(text) && isLetterByte(text[end])) || (best.Start > 0 && isLetterByte(text[best.Start-1]))
	if !glued && asked && len(best.Digits) < 10 {
		// "503 555 CALL": a vanity word after the digits.
		e := end
		for e < len(text) && (text[e] == ' ' || text[e] == '-') {
			e++
		}
		w := e
		for w < len(text) && isLetterByte(text[w]) {
			w++
		}
		if word := text[e:w]; len(word) >= 3 && strings.ToUpper(word) == word {
			end, glued = e, true
		}
	}
	if glued {
		e := end
		for e < len(text) && !unicode.IsSpace(rune(text[e])) {
			e++
		}
		_, hit.err = phone.ValidateNANP(text[best.Start:e])
		hit.span.end = e
		return hit, true
	}
	in := best.Digits
	if best.Plus {
		in = "+" + in
	}
	hit.num, hit.err = phone.ValidateNANP(in)
	return hit, true
}

func isLetterByte(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

func hasDigit(s string) bool  { return strings.IndexFunc(s, unicode.IsDigit) >= 0 }
func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// Email addresses.

var emailWord = regexp.MustCompile(`\be-?mail\b`)

// emailHit is an email address found in the text.
type emailHit struct {
	email string
	valid bool
	span  span
}

// findEmail finds an email address written ("matt@gmail.com") or spoken
// ("j o h n at gmail dot com", "john dot smith at example dot org"); see
// contact.FindEmail.
func findEmail(text string) (emailHit, bool) {
	m, ok := contact.FindEmail(text)
	if !ok {
		return emailHit{}, false
	}
	return emailHit{email: m.Email, valid: m.Valid, span: span{m.Start, m.End}}, true
}
