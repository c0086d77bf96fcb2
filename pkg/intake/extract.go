package intake

import (
	"regexp"
	"strings"
	"sync"

	"github.com/ahca/ahca/pkg/speech"
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

// topicPattern is a topic and the words that ask about it.
type topicPattern struct {
	topic topic
	re    *regexp.Regexp
}

// topicPatterns is compiled on first use, not at init.
var topicPatterns = sync.OnceValue(func() []topicPattern {
	return []topicPattern{
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
})

// anyPerson asks for anyone at all, not a particular person.
var anyPerson = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b(speak|talk) (to|with) (a |an )?(someone|somebody|anyone|anybody|real|live|human|person)\b`)
})

// specificService is "do you install/repair/... X", a yes/no question about
// one service.
var specificService = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\bdo (you|y'all|you guys|you all) (do|offer|install|repair|fix|build|sell|provide|handle|service|treat|see|work on|carry|make|replace|put in)\b`)
})

// addressWords keeps "email address" and "web address" from meaning the
// street address.
var addressWords = strings.NewReplacer("e-mail address", "email", "email address", "email", "web address", "website")

var myField = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bmy (e-?mail|phone|number|address)\b`) })

// findQuestions finds the questions in text. Within a sentence, a question
// starts at the first clause that opens with a question word and runs to
// the sentence end; a sentence ending in "?" with no question word is a
// question as a whole. Requests phrased as questions ("can you come out
// Monday?") count only when they ask about a known topic; otherwise they
// are statements (usually the reason for the call).
func findQuestions(text string) []question {
	clauses, ends := speech.Clauses(text)
	bySentence := make([][]speech.Clause, len(ends))
	for _, c := range clauses {
		if c.Sentence < len(bySentence) {
			bySentence[c.Sentence] = append(bySentence[c.Sentence], c)
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
			if ok, req := startsQuestion(text[c.Start:c.End]); ok {
				start, request, found = c.Start, req, true
				break
			}
		}
		if !found {
			whole := text[sc[0].Start:end]
			if !strings.HasSuffix(strings.TrimSpace(whole), "?") || !meaningful(whole) {
				continue // "Hello?" is not a question
			}
			start = sc[0].Start
		}
		q := question{span: span{Start: start, End: end}, text: strings.TrimSpace(text[start:end])}
		low := addressWords.Replace(norm(q.text))
		mine := myField().MatchString(low)
		for _, tp := range topicPatterns() {
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
		if has(q.topics, topicPerson) && !anyPerson().MatchString(low) {
			q.specific = true // "can I speak to Dr. Patel?" says what it is about
		}
		if specificService().MatchString(low) {
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
	goodbyeRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(no )?(that's all|that is all|that's it|that is it|that'll be all|that will be all|nothing|nothing else|no thanks|no thank you|never ?mind|nevermind|bye|goodbye|good bye|bye bye|i'm good|i am good|i'm all set|all set|i'm fine|that's everything|i'm done|i'm all good|not right now|not today|no that's okay|forget it)( for now| then)?( thanks| thank you| bye| goodbye| so much| have a good (one|day|night))*$`)
	})
	hangUpRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^((actually|oh|ok|okay|well|um|uh|no|sorry|alright|all right|thanks|thank you|that's all|that's it) )*(bye|goodbye|good bye|bye bye|never ?mind|nevermind|forget it|forget about it)( now| then| for now)?( thanks| thank you| bye| goodbye)*$`)
	})
	refuseRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b(rather not|prefer not|don't want to|do not want to|not comfortable|no thanks|no thank you|skip (it|that|this)|i'd rather not|don't have (one|an? (email|e-mail|phone|cell|number))|no (email|e-mail|phone|cell)( address| number)?|i don't use (email|e-mail)|not giving)\b`)
	})
	sameNumRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b(this number|same number|this one|the one i'm calling (from|on)|number i'm calling (from|on)|i'm calling from|calling from|caller id|the number i called from|the number you have|number that came up|number showing|number on (the )?(screen|display))\b`)
	})
	greetingRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^((yes|yeah|oh|um|uh) )?(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))( there)?( hi| hello)?$`)
	})
	questionAnnounceRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(i (have|had|got|just have) a (quick |couple |few )?(question|questions)( for you)?|i've got a (quick )?question|quick question|question|can i ask (you )?(a|something)( question)?|i was wondering something)$`)
	})
	messageRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(leave|take|pass on|pass along) (a )?message\b`) })
	// messageFor is the addressee of "leave a message for Jordan".
	messageFor = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\bmessage (for [\p{L}'. -]+?)\s*$`) })
)

// fieldMention is a collected field and the words that name it.
type fieldMention struct {
	field string
	re    *regexp.Regexp
}

// fieldMentions is compiled on first use, not at init.
var fieldMentions = sync.OnceValue(func() []fieldMention {
	return []fieldMention{
		{fieldName, regexp.MustCompile(`\b(name|spell|spelling|spelled|first name|last name|surname)\b`)},
		{fieldPhone, regexp.MustCompile(`\b(phone|number|digits|cell)\b`)},
		{fieldEmail, regexp.MustCompile(`\be-?mail\b|\bemail address\b`)},
		{fieldReason, regexp.MustCompile(`\b(reason|message|issue|problem|why i called|why i'm calling|what i said)\b`)},
	}
})

// fineRe closes the "what should I change?" step: nothing needs changing.
var fineRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(nothing|none|no changes?|never ?mind|leave it|it's fine|it's all fine|that's fine|all good|it's all good|it's good|never mind it's fine)\b`)
})

// reasonLeadRe opens more detail about the call while the agent asks for
// something else: "it's about Max's surgery follow-up".
var reasonLeadRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(it's|it is|this is) (about|regarding|for|concerning)\b|^(i'm|i am|i was) calling (about|because|regarding|to)\b|^the reason\b|^(regarding|concerning)\b`)
})

// negativeRe says something read back is wrong even without a "no".
var negativeRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b(wrong|incorrect|not right|not correct|isn't right|isn't correct|mistake|typo|misspelled|change|fix|update)\b`)
})

// mentionedField returns the one collected field the caller names ("the
// phone number is wrong"), or "".
func mentionedField(s string) string {
	n := norm(s)
	var found []string
	for _, m := range fieldMentions() {
		if m.re.MatchString(n) {
			found = append(found, m.field)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
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

// ---------------------------------------------------------------------------
// Email addresses.

var emailWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\be-?mail\b`) })
