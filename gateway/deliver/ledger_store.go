package deliver

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Sync makes every page recorded so far durable: it returns once they are
// committed and fsync'd, in one transaction with whatever else changed
// (one writer at a time; a waiter finds its pages written by the one
// before it). Changes of state after that (delivered, fallen back) are
// written by Run within ledgerWriteEvery.
func (l *Ledger) Sync(ctx context.Context) error {
	l.mu.Lock()
	target := l.created
	l.mu.Unlock()
	return l.syncTo(ctx, target)
}

// flush writes every change so far (Run's batches, the last write).
func (l *Ledger) flush(ctx context.Context) error {
	l.mu.Lock()
	target := l.changes
	l.mu.Unlock()
	return l.syncTo(ctx, target)
}

// syncTo returns once changes up to target are durable.
func (l *Ledger) syncTo(ctx context.Context, target uint64) error {
	if l.durable.Load() >= target {
		return nil
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("page ledger: sync: %w", ctx.Err())
	}
	defer func() { <-l.sem }()
	if l.durable.Load() >= target {
		return nil
	}
	return l.write()
}

// Close writes what is left and closes the file. Call it after Run has
// returned; Notify fails from now on.
func (l *Ledger) Close() error {
	l.sem <- struct{}{}
	defer func() { <-l.sem }()
	werr := l.write()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("page ledger: close: %w", err)
	}
	return werr
}

// write stores every changed record in one transaction. The caller holds
// sem.
func (l *Ledger) write() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return fmt.Errorf("page ledger: write: %w", ErrClosed)
	}
	upto := l.changes
	puts := make(map[string][]byte, len(l.dirty))
	var encErr error
	for id := range l.dirty {
		r := l.pages[id]
		if r == nil {
			puts[id] = nil
			continue
		}
		v, err := r.encode()
		if err != nil {
			encErr = err // not retried: it cannot get better
			continue
		}
		puts[id] = v
	}
	clear(l.dirty)
	l.mu.Unlock()
	if encErr != nil {
		l.log.Error("page record not stored", "err", encErr)
	}
	if len(puts) == 0 {
		l.durable.Store(max(l.durable.Load(), upto))
		return nil
	}
	err := l.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(pagesBucket)
		for id, v := range puts {
			var err error
			if v == nil {
				err = b.Delete([]byte(id))
			} else {
				err = b.Put([]byte(id), v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		l.mu.Lock()
		for id := range puts {
			l.dirty[id] = true
		}
		l.mu.Unlock()
		l.m.storeErrors.Inc()
		return fmt.Errorf("page ledger: store %d pages: %w", len(puts), err)
	}
	l.durable.Store(max(l.durable.Load(), upto))
	return nil
}
