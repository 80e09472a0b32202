package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// inOneBatch submits fns to st's writer in order while it is busy, so that
// they share one group commit, and returns each one's Update error once
// all have returned. batches is told of each commit's size (OnBatch).
func inOneBatch(t *testing.T, st *Store, batches func() []int, fns ...func() error) []error {
	t.Helper()
	ctx := context.Background()
	release, running := make(chan struct{}), make(chan struct{})
	blocker := make(chan error, 1)
	go func() {
		blocker <- st.Update(ctx, func(*Tx) error {
			select { // once: the blocker itself may run again
			case <-running:
			default:
				close(running)
			}
			<-release
			return nil
		})
	}()
	<-running
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
		time.Sleep(100 * time.Millisecond) // blocked on the writer's queue, in order
	}
	close(release)
	wg.Wait()
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	if got := batches(); !slices.Contains(got, len(fns)) {
		t.Fatalf("commits of %v jobs: the %d jobs did not share one", got, len(fns))
	}
	return errs
}

// TestClaimDeliveriesRerunClaimsNothing: a claim whose group commit was
// rolled back (another job failed) runs again alone; when by then another
// gateway has taken the deliveries, it returns none, not those its first
// run saw (both gateways would send them).
func TestClaimDeliveriesRerunClaimsNothing(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t)
	var mu sync.Mutex
	var sizes []int
	opts.OnBatch = func(jobs int, _ time.Duration) { mu.Lock(); sizes = append(sizes, jobs); mu.Unlock() }
	batches := func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(sizes) }
	st, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	f := &deskFixture{t: t, st: st, prop: p}
	f.update(func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO webhooks (property_id, url, secret, events, created_by, created_at)
			VALUES (?, 'http://127.0.0.1:1/', 'whsec_x', '', 'test', 0)`, p.ID)
		return err
	})
	f.open("zoe@example.com", "m1@x") // one message.created, one delivery due

	var claimed []DueDelivery
	runs := 0
	errs := inOneBatch(t, st, batches,
		func() error { // another gateway, which takes the deliveries between the two runs
			return st.Update(ctx, func(tx *Tx) error {
				if runs++; runs == 2 {
					_, err := tx.exec(`UPDATE webhook_deliveries SET next_attempt_at = ?`, ms(time.Now().Add(time.Hour)))
					return err
				}
				return nil
			})
		},
		func() (err error) { claimed, err = st.ClaimDeliveries(ctx, time.Minute, 10); return err },
		func() error {
			return st.Update(ctx, func(*Tx) error { return errors.New("fails: the group is rolled back") })
		},
	)
	if errs[0] != nil || errs[1] != nil || errs[2] == nil {
		t.Fatalf("jobs: %v", errs)
	}
	if runs != 2 {
		t.Fatalf("the other gateway's job ran %d times, want 2 (together, then alone)", runs)
	}
	if len(claimed) != 0 {
		t.Errorf("ClaimDeliveries returned %d deliveries its committed run did not claim", len(claimed))
	}
}

// TestSharedThreadLocksCapped: a group commit whose jobs would take more
// than maxSharedLocks thread locks runs them alone, each with its own;
// all succeed.
func TestSharedThreadLocksCapped(t *testing.T) {
	if !onPostgres() {
		t.Skip("thread locks are PostgreSQL's")
	}
	ctx := context.Background()
	opts := testOptions(t)
	var mu sync.Mutex
	var sizes []int
	opts.OnBatch = func(jobs int, _ time.Duration) { mu.Lock(); sizes = append(sizes, jobs); mu.Unlock() }
	batches := func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(sizes) }
	st, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const jobs, perJob = 5, 129 // 645 locks together
	runs := make([]int, jobs)
	var fns []func() error
	for j := range jobs {
		ids := make([]string, perJob)
		for i := range ids {
			ids[i] = fmt.Sprintf("m%d-%d@x.test", j, i)
		}
		fns = append(fns, func() error {
			return st.Update(ctx, func(tx *Tx) error { runs[j]++; return tx.LockThread(1, ids...) })
		})
	}
	for i, err := range inOneBatch(t, st, batches, fns...) {
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
	}
	// The jobs up to the one that passes the cap ran together, then
	// alone when it failed the group; the jobs after it alone only.
	crossing := maxSharedLocks / perJob
	for j, n := range runs {
		if want := map[bool]int{true: 2, false: 1}[j <= crossing]; n != want {
			t.Errorf("job %d ran %d times, want %d", j, n, want)
		}
	}
}
