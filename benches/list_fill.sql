-- 100 000 approvals for the list benchmark (`make bench-list`), on the demo data: 50
-- initiator organisations, every status (20 % drafts, 40 % running, 25 % approved, 15 %
-- rejected), each with its route copy, step 1 decided where step 2 is current, some late.
INSERT INTO organisations (name, short_name, kind, inn)
SELECT 'РСО для нагрузки № ' || g, 'РСО-' || g, 'rso', lpad((7800000000 + g)::text, 10, '0')
FROM generate_series(1, 48) g;

CREATE TEMP TABLE initiators AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM organisations WHERE kind = 'rso';

INSERT INTO approvals (number, route_id, route_name, is_public, initiator_org_id, created_by,
    name, subject, works_address, network_kind, status, current_step, created_at, launched_at,
    planned_completion_date, completed_at, last_changed_by, last_changed_at)
SELECT 'Н-' || lpad(g::text, 6, '0'), r.id, r.name, r.is_public, i.id, u.id,
       (ARRAY['Подключение жилого дома', 'Подключение школы', 'Котельная', 'Поликлиника'])[g % 4 + 1]
           || ' № ' || g,
       'Земляные работы', 'Санкт-Петербург, ул. Нагрузочная, д. ' || (g % 500),
       'Теплоснабжение', s.status,
       CASE WHEN s.status = 'running' THEN 1 + g % 2 END,
       t.created, CASE WHEN s.status <> 'draft' THEN t.created + interval '1 day' END,
       CASE WHEN s.status <> 'draft' THEN (t.created AT TIME ZONE 'Europe/Moscow')::date + 13 END,
       CASE WHEN s.status IN ('approved', 'rejected') THEN t.created + interval '12 days' END,
       u.id, t.created
FROM generate_series(1, 100000) g
CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 < 4 THEN 'draft' WHEN g % 20 < 12 THEN 'running'
                                WHEN g % 20 < 17 THEN 'approved' ELSE 'rejected' END AS status,
                           timestamptz '2027-03-01 10:00+03' - (g * interval '9 minutes') AS created) s
CROSS JOIN LATERAL (SELECT s.created) t(created)
JOIN initiators i ON i.n = g % 50
CROSS JOIN (SELECT * FROM routes ORDER BY id LIMIT 1) r
CROSS JOIN (SELECT * FROM users WHERE login = 'rso') u;

INSERT INTO approval_steps (approval_id, position, started_at)
SELECT a.id, rs.position, CASE WHEN rs.position <= coalesce(a.current_step, 2) THEN a.launched_at END
FROM approvals a JOIN route_steps rs ON rs.route_id = a.route_id
WHERE a.number LIKE 'Н-%';

INSERT INTO approval_participants (approval_id, step_id, organisation_id, position, term_days,
    term_basis, is_mandatory, is_final, planned_start, planned_end, decision, decided_by,
    decided_at, deadline, is_overdue)
SELECT a.id, s.id, rp.organisation_id, rp.position, rp.term_days, rp.term_basis,
       rp.is_mandatory, rp.is_final,
       (a.created_at AT TIME ZONE 'Europe/Moscow')::date,
       (a.created_at AT TIME ZONE 'Europe/Moscow')::date + rp.term_days,
       d.decided, CASE WHEN d.decided IS NOT NULL THEN a.created_by END,
       CASE WHEN d.decided IS NOT NULL THEN a.launched_at + interval '3 days' END,
       CASE WHEN a.status <> 'draft' THEN (a.created_at AT TIME ZONE 'Europe/Moscow')::date + rp.term_days END,
       a.status = 'running' AND d.decided IS NULL AND a.id % 3 = 0
FROM approvals a
JOIN approval_steps s ON s.approval_id = a.id
JOIN route_steps rs ON rs.route_id = a.route_id AND rs.position = s.position
JOIN route_participants rp ON rp.step_id = rs.id
CROSS JOIN LATERAL (SELECT CASE
    WHEN a.status IN ('approved', 'rejected') THEN 'approved'
    WHEN a.status = 'running' AND a.current_step = 2 AND s.position = 1 THEN 'approved'
    END AS decided) d
WHERE a.number LIKE 'Н-%';

-- A network owner that takes part in one launched approval in a hundred, and its user with
-- КГА's rights and password: the list must stay quick for an organisation with few seats.
INSERT INTO organisations (name, short_name, kind, inn)
VALUES ('Владелец сетей редких согласований', 'Редкий владелец', 'network_owner', '7899999999');
INSERT INTO approval_participants (approval_id, step_id, organisation_id, position, term_days,
    term_basis, is_mandatory, is_final, planned_start, planned_end, deadline)
SELECT p.approval_id, p.step_id, o.id, 100, p.term_days, p.term_basis, false, false,
       p.planned_start, p.planned_end, p.deadline
FROM approval_participants p
JOIN approvals a ON a.id = p.approval_id
JOIN users k ON k.login = 'kga' AND k.organisation_id = p.organisation_id
CROSS JOIN (SELECT id FROM organisations WHERE short_name = 'Редкий владелец') o
WHERE a.number LIKE 'Н-%' AND a.status <> 'draft' AND a.id % 100 = 7;
INSERT INTO users (organisation_id, login, full_name, password_hash, can_participate, can_view)
SELECT o.id, 'owner-rare', 'Редкий Участник', k.password_hash, true, true
FROM organisations o, users k WHERE o.short_name = 'Редкий владелец' AND k.login = 'kga';

-- As autovacuum would soon after such a load: statistics, and the visibility map that lets
-- index-only scans skip the table.
VACUUM ANALYZE;
