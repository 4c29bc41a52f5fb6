// Package chat is the engine of chatserver: the Hub (rooms, who is where,
// admins, bans, commands), the Sessions of logged-in users on either door,
// the plugin API (Plugin, Bot), events and the Outbox that carries them
// to a door's writer, and the Store interface persistence implements.
//
// # Concurrency
//
// Every exported method is safe from any goroutine. The engine's contract
// (the goroutines that run engine code, the locks and the order they are
// taken in, what may run under them, and the numbered rules of
// Outbox.Push) is written in one place: CONCURRENCY.md, beside this file.
// In short: a room's lines reach its members, its history and the store
// in one order (Event.Seq); no lock is held while plugin code runs,
// anything is written to a network or the store, or a door's wake-up hook
// is called; sending to a user only queues.
package chat
