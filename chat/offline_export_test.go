package chat

// EachWord and NameRune expose eachWord and nameRune to the tests of
// package chat_test (offline_test.go).
var (
	EachWord = eachWord
	NameRune = nameRune
)
