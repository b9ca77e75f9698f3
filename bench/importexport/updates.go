package main

// The -updates phase: imports that change existing users (ImportUsers
// matching every row by ID) and that add addresses to them
// (ImportAddresses), which go through customeruser.BatchUserUpdater.

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"

	"github.com/b2bkit/customerusers/customeruser"
)

// updateRound measures, in ModeAllOrNothing and then ModeSkipInvalid, each
// on a fresh organization of its own:
//
//   - set-up (not measured): ImportUsers of the first -update-users rows of
//     the new-users file, then ExportUsers of the organization;
//   - "ImportUsers update": the export with every row changed (Last Name
//     gets a suffix; BUYER becomes ADMINISTRATOR, BUYER + ADMINISTRATOR
//     becomes BUYER), matched by ID; checked: all updated, 0 errors, the
//     stored last names and role links those of the file;
//   - "ImportAddresses": two new addresses per user of that organization
//     (matched by Customer User ID; a user's two rows next to each other),
//     checked: all added, 0 errors, 2 addresses per user stored.
//
// The event log is emptied before each measured import.
func (w *world) updateRound(ctx context.Context, round int) ([]result, error) {
	n := w.c.updateUsers
	base := w.usersFile(n)
	var out []result
	for _, mode := range []customeruser.ImportMode{customeruser.ModeAllOrNothing, customeruser.ModeSkipInvalid} {
		if err := w.nextOrg(ctx); err != nil {
			return nil, err
		}
		rep, err := w.svc.ImportUsers(ctx, w.admin, bytes.NewReader(base), customeruser.ImportOptions{
			Mode: customeruser.ModeAllOrNothing, BatchSize: w.c.batch, MaxErrors: 10,
		})
		if err != nil {
			return nil, fmt.Errorf("updates: set-up import: %w", err)
		}
		if rep.Added != n || rep.Errors != 0 {
			return nil, fmt.Errorf("updates: set-up import: added %d of %d, errors %d: %v", rep.Added, n, rep.Errors, rep.RowErrors)
		}
		var exported bytes.Buffer
		xrep, err := w.svc.ExportUsers(ctx, w.admin, customeruser.UserFilter{}, &exported, customeruser.ExportOptions{})
		if err != nil {
			return nil, fmt.Errorf("updates: export: %w", err)
		}
		if xrep.Rows != n {
			return nil, fmt.Errorf("updates: exported %d users, want %d", xrep.Rows, n)
		}
		upd, buyers, err := changeEveryUser(exported.Bytes())
		if err != nil {
			return nil, err
		}
		addrs, err := addressFile(exported.Bytes())
		if err != nil {
			return nil, err
		}
		logf("round %d: updates %s: organization %s of %d users imported and exported (%.1f MiB changed file, %.1f MiB address file)",
			round, mode, w.org, n, float64(len(upd))/(1<<20), float64(len(addrs))/(1<<20))

		r, err := w.measureImport(ctx, round, "ImportUsers update "+string(mode), func(svc *customeruser.Service) (customeruser.ImportReport, error) {
			return svc.ImportUsers(ctx, w.admin, bytes.NewReader(upd), customeruser.ImportOptions{Mode: mode, BatchSize: w.c.batch, MaxErrors: 10})
		})
		if err != nil {
			return nil, err
		}
		var renamed, links, buyerLinks int
		if err := w.conn.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM customer_users WHERE organization_id = $1 AND last_name LIKE '%'||$2),
				(SELECT count(*) FROM customer_user_roles WHERE organization_id = $1),
				(SELECT count(*) FROM customer_user_roles l JOIN roles x ON x.organization_id = l.organization_id AND x.id = l.role_id
					WHERE l.organization_id = $1 AND x.code = 'BUYER')`, w.org, updatedSuffix).Scan(&renamed, &links, &buyerLinks); err != nil {
			return nil, err
		}
		if r.rep.Updated != n || r.rep.Errors != 0 || r.rep.Added != 0 || renamed != n || links != n || buyerLinks != buyers {
			return nil, fmt.Errorf("%s: report updated %d, added %d, errors %d (%v); stored %d renamed users, %d role links (%d BUYER); want %d, %d, %d",
				r.Name, r.rep.Updated, r.rep.Added, r.rep.Errors, r.rep.RowErrors, renamed, links, buyerLinks, n, n, buyers)
		}
		r.Note = fmt.Sprintf("report: updated %d, errors %d; stored %d renamed users, %d role links; %s", r.rep.Updated, r.rep.Errors, renamed, links, r.perRow())
		out = append(out, r.result)

		r, err = w.measureImport(ctx, round, "ImportAddresses "+string(mode), func(svc *customeruser.Service) (customeruser.ImportReport, error) {
			return svc.ImportAddresses(ctx, w.admin, bytes.NewReader(addrs), customeruser.ImportOptions{Mode: mode, BatchSize: w.c.batch, MaxErrors: 10})
		})
		if err != nil {
			return nil, err
		}
		var stored, users int
		if err := w.conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT user_id) FROM customer_user_addresses WHERE organization_id = $1`, w.org).Scan(&stored, &users); err != nil {
			return nil, err
		}
		if r.rep.Added != 2*n || r.rep.Errors != 0 || stored != 2*n || users != n {
			return nil, fmt.Errorf("%s: report added %d, errors %d (%v); stored %d addresses of %d users; want %d of %d",
				r.Name, r.rep.Added, r.rep.Errors, r.rep.RowErrors, stored, users, 2*n, n)
		}
		r.Note = fmt.Sprintf("report: added %d, errors %d; stored %d addresses of %d users; %s", r.rep.Added, r.rep.Errors, stored, users, r.perRow())
		out = append(out, r.result)
	}
	return out, nil
}

// measured is a measured import and its report.
type measured struct {
	result
	rep customeruser.ImportReport
}

// perRow formats the CPU time per row of both sides.
func (r result) perRow() string {
	return fmt.Sprintf("CPU per row: client %.0f µs + server %.0f µs", 1e6*r.ClientCPU/float64(r.Rows), 1e6*r.ServerCPU/float64(r.Rows))
}

// measureImport empties the event log, then runs and measures one import
// (through the tracing service under -trace).
func (w *world) measureImport(ctx context.Context, round int, name string, run func(*customeruser.Service) (customeruser.ImportReport, error)) (measured, error) {
	if _, err := w.conn.Exec(ctx, "TRUNCATE events"); err != nil {
		return measured{}, err
	}
	svc := w.svc
	if w.traceSvc != nil {
		svc = w.traceSvc
		w.timing.reset()
	}
	m, err := w.startMeter(ctx)
	if err != nil {
		return measured{}, err
	}
	rep, err := run(svc)
	if err != nil {
		return measured{}, fmt.Errorf("%s: %w", name, err)
	}
	r, err := m.stop(ctx, name, round, rep.Read)
	if err != nil {
		return measured{}, err
	}
	logf("round %d: %-34s %8.0f rows/s  (%.1f s; client CPU %.1f s, server CPU %.1f s; %s)",
		round, r.Name, r.rate(), r.Seconds, r.ClientCPU, r.ServerCPU, r.perRow())
	if w.timing != nil {
		w.timing.print(os.Stderr, r)
	}
	return measured{result: r, rep: rep}, nil
}

// updatedSuffix is appended to every last name by the update file.
const updatedSuffix = "-Upd"

// changeEveryUser turns an export into a file that changes every user: the
// last name gets updatedSuffix, and the role set changes (BUYER alone
// becomes ADMINISTRATOR, BUYER + ADMINISTRATOR becomes BUYER). It returns
// the file and how many users it leaves with BUYER.
func changeEveryUser(export []byte) ([]byte, int, error) {
	recs, err := csv.NewReader(bytes.NewReader(export)).ReadAll()
	if err != nil {
		return nil, 0, err
	}
	if len(recs) < 2 {
		return nil, 0, fmt.Errorf("updates: export of %d lines", len(recs))
	}
	at := map[string]int{}
	for i, h := range recs[0] {
		at[h] = i
	}
	last, r1, r2 := at[customeruser.ColLastName], at[customeruser.RoleColumn(1)], at[customeruser.RoleColumn(2)]
	if _, ok := at[customeruser.RoleColumn(2)]; !ok {
		return nil, 0, fmt.Errorf("updates: export without %q: %q", customeruser.RoleColumn(2), recs[0])
	}
	buyers := 0
	for _, rec := range recs[1:] {
		rec[last] += updatedSuffix
		switch {
		case rec[r1] == "BUYER" && rec[r2] == "":
			rec[r1] = "ADMINISTRATOR"
		case rec[r1] == "BUYER" && rec[r2] == "ADMINISTRATOR":
			rec[r1], rec[r2] = "BUYER", ""
			buyers++
		default:
			return nil, 0, fmt.Errorf("updates: unexpected roles %q, %q", rec[r1], rec[r2])
		}
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	if err := cw.WriteAll(recs); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), buyers, nil
}

// addressFile makes an address file of two new addresses for each user of
// an export (by Customer User ID; the first primary and default billing,
// the second default shipping), a user's two rows next to each other.
func addressFile(export []byte) ([]byte, error) {
	recs, err := csv.NewReader(bytes.NewReader(export)).ReadAll()
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	for i, h := range recs[0] {
		at[h] = i
	}
	id, first, last := at[customeruser.ColID], at[customeruser.ColFirstName], at[customeruser.ColLastName]
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{customeruser.ColAddrUserID, customeruser.ColLabel, customeruser.ColFirstName, customeruser.ColLastName,
		customeruser.ColStreet, customeruser.ColPostalCode, customeruser.ColCity, customeruser.ColCountry, customeruser.ColPrimary,
		customeruser.ColBilling, customeruser.ColDefaultBilling, customeruser.ColShipping, customeruser.ColDefaultShipping})
	for i, rec := range recs[1:] {
		_ = cw.Write([]string{rec[id], "Head office", rec[first], rec[last], strconv.Itoa(1+i%200) + " Hauptstraße",
			fmt.Sprintf("%05d", 10115+i%800), "Berlin", "DE", "1", "1", "1", "0", "0"})
		_ = cw.Write([]string{rec[id], "Warehouse", rec[first], rec[last], strconv.Itoa(1+i%90) + " Hafenweg",
			fmt.Sprintf("%05d", 20095+i%500), "Hamburg", "DE", "0", "0", "0", "1", "1"})
	}
	cw.Flush()
	return b.Bytes(), cw.Error()
}
