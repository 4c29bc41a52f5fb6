package chat

// EventSize is eventSize, for the tests of package chat_test.
var EventSize = eventSize
