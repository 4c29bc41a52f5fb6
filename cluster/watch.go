package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// rewatchPause is how long watch waits before it watches a bucket again.
const rewatchPause = time.Second

// watch calls each with every entry of a watch of kv (kv.WatchAll with
// opts; nil for the watch's end-of-initial-values marker), one at a time,
// until ctx is done. A watch that ends while ctx is not done (nats.go
// closes it when it cannot recreate its consumer, and with its
// connection) is started again, from the revision after the last entry
// given, at most once per rewatchPause: it neither spins on the closed
// channel nor ends the node's other work (Node.Run stops them all on an
// error). Only the first watch's failure is an error; what is named in
// the log lines.
func watch(ctx context.Context, log *slog.Logger, kv jetstream.KeyValue, what string, opts []jetstream.WatchOpt, each func(jetstream.KeyValueEntry)) error {
	w, err := kv.WatchAll(ctx, opts...)
	if err != nil {
		return fmt.Errorf("watch %s: %w", what, err)
	}
	var last uint64 // the revision of the last entry given
	for {
		last = watchUntilEnd(ctx, w, last, each)
		w.Stop()
		if ctx.Err() != nil {
			return nil
		}
		log.Warn("watch ended; watching again", "what", what, "from", last+1)
		for w = nil; w == nil; {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(rewatchPause):
			}
			again := opts
			if last > 0 {
				again = append(opts[:len(opts):len(opts)], jetstream.ResumeFromRevision(last+1))
			}
			if w, err = kv.WatchAll(ctx, again...); err != nil {
				log.Warn("watch again", "what", what, "from", last+1, "err", err)
			}
		}
	}
}

// watchUntilEnd gives each entry of w to each until w ends or ctx is
// done, and returns the revision of the last one given (last if none).
func watchUntilEnd(ctx context.Context, w jetstream.KeyWatcher, last uint64, each func(jetstream.KeyValueEntry)) uint64 {
	for {
		select {
		case <-ctx.Done():
			return last
		case e, ok := <-w.Updates():
			if !ok {
				return last
			}
			if e != nil {
				last = e.Revision()
			}
			each(e)
		}
	}
}
