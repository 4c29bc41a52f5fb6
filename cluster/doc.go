// Package cluster lets several chatserver nodes be one chat server by
// keeping what they share in NATS JetStream: names online, rooms, rights,
// bans and each room's lines (DESIGN.md beside this file says which
// subjects, streams and buckets, and how each race is settled). The
// engine (chat) knows nothing of NATS: it calls the small interfaces it
// declares, which this package implements; without a cluster the engine
// keeps today's in-process behaviour.
package cluster
