package app

import (
	"testing"

	"chatserver/cluster/clustertest"
)

// TestReadyWhileInStep: /readyz's answer for a node of a cluster: ready
// while connected and its part of the cluster runs, not ready once that
// part stopped on an error (broken), though the connection is up, so
// the balancer drains a node no longer in step with the others; a single
// node is always ready.
func TestReadyWhileInStep(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, 1)
	n := &clusterNode{nc: c.Connect(t)}
	if !n.connected() {
		t.Fatal("a connected node in step is not ready")
	}
	n.broken.Store(true)
	if n.connected() {
		t.Fatal("a node whose part of the cluster stopped is ready")
	}
	var single *clusterNode
	if !single.connected() {
		t.Fatal("a single node is not ready")
	}
}
