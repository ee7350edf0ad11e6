import assert from "node:assert/strict";
import {
  findRunProcesses,
  parseStat,
  type ProcInfo,
} from "../src/execution/process_tree.ts";

const p = (pid: number, ppid: number, pgid: number, start = 100): ProcInfo => ({
  pid,
  ppid,
  pgid,
  start,
});

Deno.test("process tree: group, parent chain and marker each find what the others miss", () => {
  const procs = [
    p(10, 5, 10), // the runner, leader of its group
    p(11, 10, 10), // a child
    p(12, 11, 10), // a grandchild in the group
    p(13, 11, 13), // a setsid daemon whose parent lives: found by parent chain
    p(14, 1, 14), // an orphaned setsid daemon: found by its marker only
    p(15, 14, 14), // its child that cleared its environment: a descendant
    p(20, 1, 20), // someone else's process
  ];
  const found = findRunProcesses(
    { pid: 10, start: 100 },
    procs,
    (pid) => pid === 14,
  );
  assert.deepEqual([...found].sort(), [10, 11, 12, 13, 14, 15]);
});

Deno.test("process tree: after the runner exits, its group and marked orphans are still found", () => {
  const procs = [p(12, 1, 10), p(14, 1, 14), p(20, 1, 20)];
  const found = findRunProcesses(
    { pid: 10, start: 100 },
    procs,
    (pid) => pid === 14,
  );
  assert.deepEqual([...found].sort(), [12, 14]);
});

Deno.test("process tree: a reused pid and older processes are left alone", () => {
  // pid 10 now belongs to a process that started later than the runner did.
  const procs = [p(10, 1, 10, 500), p(11, 10, 10, 500), p(30, 1, 30, 50)];
  const asked: number[] = [];
  const found = findRunProcesses({ pid: 10, start: 100 }, procs, (pid) => {
    asked.push(pid);
    return false;
  });
  assert.deepEqual([...found], []);
  // Processes older than the runner are not even looked at.
  assert.equal(asked.includes(30), false);
});

Deno.test("process tree: never this process, its parent or init", () => {
  const procs = [p(Deno.pid, 10, 10), p(Deno.ppid, 10, 10), p(10, 1, 10)];
  const found = findRunProcesses({ pid: 10 }, procs, () => true);
  assert.deepEqual([...found], [10]);
});

Deno.test("process tree: /proc stat lines with odd command names parse", () => {
  const fields = Array.from({ length: 40 }, (_, i) => String(i + 3));
  fields[0] = "S";
  fields[1] = "7"; // ppid
  fields[2] = "8"; // pgrp
  fields[19] = "4242"; // starttime
  assert.deepEqual(parseStat(9, `9 (a) (b c) ${fields.join(" ")}`), {
    pid: 9,
    ppid: 7,
    pgid: 8,
    start: 4242,
  });
  fields[0] = "Z";
  assert.equal(parseStat(9, `9 (zombie) ${fields.join(" ")}`), undefined);
});
