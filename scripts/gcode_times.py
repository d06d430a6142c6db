#!/usr/bin/env python3
"""Re-times a PrusaSlicer G-code file the way PrusaSlicer 2.5's GCodeProcessor does, and
splits the time by extrusion role, by move type and by layer.

A development tool for the FDM estimator: PrusaSlicer only writes the total time, and to
know *which* part of our estimate is off (perimeters, infill, support, travel,
retractions, layer changes) we need the slicer's time per role. This script follows
GCodeProcessor's planner (trapezoids, per-axis feedrate/acceleration/jerk limits,
PrusaSlicer's junction rule, forward and reverse passes over a 256-block window keeping
64) closely enough to reproduce the "estimated printing time (normal mode)" comment
within a fraction of a percent (the script prints both), then attributes each block's
time to its `;TYPE:` role.

Usage: gcode_times.py FILE.gcode [--json]
"""
import json
import math
import re
import sys

NUM = re.compile(r"([A-Z])(-?\d*\.?\d+(?:[eE][-+]?\d+)?)")


def seconds(text):
    total = 0
    for value, unit in re.findall(r"(\d+)([dhms])", text):
        total += int(value) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
    return total


def read_config(lines):
    cfg = {}
    inside = False
    for line in lines:
        if line.startswith("; prusaslicer_config = begin"):
            inside = True
            continue
        if line.startswith("; prusaslicer_config = end"):
            break
        if inside and line.startswith("; "):
            k, _, v = line[2:].partition(" = ")
            cfg[k.strip()] = v.strip()
    return cfg


def first(cfg, key, default):
    v = cfg.get(key)
    if v is None or v == "":
        return default
    return float(v.split(",")[0].rstrip("%"))


class Block:
    __slots__ = ("dist", "accel", "cruise", "entry", "exit", "max_entry", "nominal",
                 "recalc", "safe", "acc_until", "dec_after", "cruise_v", "role", "kind",
                 "layer")


def est_acc_dist(v0, v1, a):
    return 0.0 if a == 0 else (v1 * v1 - v0 * v0) / (2 * a)


def intersection_distance(v0, v1, a, d):
    return 0.0 if a == 0 else (2 * a * d - v0 * v0 + v1 * v1) / (4 * a)


def speed_from_distance(v0, d, a):
    return math.sqrt(max(0.0, v0 * v0 + 2 * a * d))


def max_allowable_speed(a, v_target, d):
    return math.sqrt(max(0.0, v_target * v_target - 2 * a * d))


def trapezoid(b, entry, exit_):
    cruise = b.cruise
    acc = max(0.0, est_acc_dist(entry, cruise, b.accel))
    dec = max(0.0, est_acc_dist(cruise, exit_, -b.accel))
    cr = b.dist - acc - dec
    if cr < 0:
        acc = min(max(intersection_distance(entry, exit_, b.accel, b.dist), 0.0), b.dist)
        cr = 0.0
        cruise = speed_from_distance(entry, acc, b.accel)
    b.cruise_v = cruise
    b.acc_until = acc
    b.dec_after = acc + cr


def block_time(b):
    def acc_time(v0, d, a):
        return 0.0 if a == 0 else (speed_from_distance(v0, d, a) - v0) / a
    t = acc_time(b.entry, b.acc_until, b.accel)
    t += (b.dec_after - b.acc_until) / b.cruise_v if b.cruise_v else 0.0
    t += acc_time(b.cruise_v, b.dist - b.dec_after, -b.accel)
    return t


class Machine:
    QUEUE = 64
    REFRESH = 256

    def __init__(self, cfg):
        self.maxf = [first(cfg, "machine_max_feedrate_" + a, 0) for a in "xyze"]
        self.maxa = [first(cfg, "machine_max_acceleration_" + a, 0) for a in "xyze"]
        self.jerk = [first(cfg, "machine_max_jerk_" + a, 0) for a in "xyze"]
        self.min_extr = first(cfg, "machine_min_extruding_rate", 0)
        self.min_travel = first(cfg, "machine_min_travel_rate", 0)
        self.max_acc = first(cfg, "machine_max_acceleration_extruding", 0)
        self.max_ret = first(cfg, "machine_max_acceleration_retracting", 0)
        self.max_trav = first(cfg, "machine_max_acceleration_travel", 0)
        if cfg.get("machine_limits_usage") == "ignore":
            self.maxf = [0, 0, 0, 0]
            self.maxa = [0, 0, 0, 0]
            self.jerk = [0, 0, 0, 0]
            self.min_extr = self.min_travel = 0
            self.max_acc = self.max_ret = self.max_trav = 0
        self.acc = self.max_acc if self.max_acc > 0 else 1500.0
        self.ret = self.max_ret if self.max_ret > 0 else 1500.0
        self.trav = self.max_trav if self.max_trav > 0 else 1250.0
        self.blocks = []
        self.prev_feed = 0.0
        self.prev_axis = [0.0] * 4
        self.prev_safe = 0.0
        self.time = 0.0
        self.by_role = {}
        self.by_kind = {}
        self.by_layer = {}
        self.by_layer_role = {}

    def clamp(self, v, mx):
        return v if mx == 0 else min(v, mx)

    def add(self, delta, feed, role, kind, layer):
        d2 = delta[0] ** 2 + delta[1] ** 2 + delta[2] ** 2
        dist = math.sqrt(d2) if d2 > 0 else abs(delta[3])
        inv = 1.0 / dist
        feed = max(feed, self.min_travel) if delta[3] == 0 else max(feed, self.min_extr)
        axis = [feed * delta[a] * inv for a in range(4)]
        factor = 1.0
        for a in range(4):
            if axis[a] != 0 and self.maxf[a] != 0:
                factor = min(factor, self.maxf[a] / abs(axis[a]))
        b = Block()
        b.dist = dist
        b.cruise = factor * feed
        if factor < 1.0:
            axis = [x * factor for x in axis]
        extrusion_only = delta[0] == 0 and delta[1] == 0 and delta[2] == 0 and delta[3] != 0
        acc = self.trav if kind == "travel" else (self.ret if extrusion_only else self.acc)
        for a in range(4):
            if self.maxa[a] != 0 and acc * abs(delta[a]) * inv > self.maxa[a]:
                acc = self.maxa[a]
        b.accel = acc
        safe = b.cruise
        for a in range(4):
            if abs(axis[a]) > self.jerk[a]:
                safe = min(safe, self.jerk[a])
        vmax = safe
        if self.blocks and self.prev_feed > 0.0001:
            larger = self.prev_feed > b.cruise
            small = (b.cruise / self.prev_feed) if larger else (self.prev_feed / b.cruise)
            vmax = b.cruise if larger else self.prev_feed
            vf = 1.0
            limited = False
            for a in range(4):
                ve = self.prev_axis[a]
                vn = axis[a]
                if larger:
                    ve *= small
                if limited:
                    ve *= vf
                    vn *= vf
                if ve > vn:
                    j = (ve - vn) if (vn > 0 or ve < 0) else max(ve, -vn)
                else:
                    j = (vn - ve) if (vn < 0 or ve > 0) else max(-ve, vn)
                if j > self.jerk[a]:
                    vf *= self.jerk[a] / j
                    limited = True
            if limited:
                vmax *= vf
            thr = vmax * 0.99
            if self.prev_safe > thr and safe > thr:
                vmax = safe
        allow = max_allowable_speed(-acc, safe, dist)
        b.entry = min(vmax, allow)
        b.max_entry = vmax
        b.nominal = b.cruise <= allow
        b.recalc = True
        b.safe = safe
        b.role, b.kind, b.layer = role, kind, layer
        trapezoid(b, b.entry, safe)
        self.prev_feed = feed
        self.prev_axis = axis
        self.prev_safe = safe
        self.blocks.append(b)
        if len(self.blocks) > self.REFRESH:
            self.calculate(self.QUEUE)

    def calculate(self, keep=0, extra=0.0):
        bl = self.blocks
        if len(bl) < 2 and keep == 0 and not bl:
            self.time += extra
            return
        if len(bl) >= 2:
            for i in range(len(bl) - 1):
                p, c = bl[i], bl[i + 1]
                if not p.nominal and p.entry < c.entry:
                    e = min(c.entry, max_allowable_speed(-p.accel, p.entry, p.dist))
                    if c.entry != e:
                        c.entry = e
                        c.recalc = True
            for i in range(len(bl) - 1, 0, -1):
                c, n = bl[i - 1], bl[i]
                if c.entry != c.max_entry:
                    if not c.nominal and c.max_entry > n.entry:
                        c.entry = min(c.max_entry, max_allowable_speed(-c.accel, n.entry, c.dist))
                    else:
                        c.entry = c.max_entry
                    c.recalc = True
            for i in range(len(bl) - 1):
                c, n = bl[i], bl[i + 1]
                if c.recalc or n.recalc:
                    trapezoid(c, c.entry, n.entry)
                    c.recalc = False
            last = bl[-1]
            trapezoid(last, last.entry, last.safe)
            last.recalc = False
        elif len(bl) == 1 and keep == 0:
            pass
        n = len(bl) - keep
        for i in range(n):
            b = bl[i]
            t = block_time(b) + (extra if i == 0 else 0.0)
            self.time += t
            self.by_role[b.role] = self.by_role.get(b.role, 0.0) + t
            self.by_kind[b.kind] = self.by_kind.get(b.kind, 0.0) + t
            self.by_layer[b.layer] = self.by_layer.get(b.layer, 0.0) + t
            lk = (b.layer, b.role)
            self.by_layer_role[lk] = self.by_layer_role.get(lk, 0.0) + t
        if n <= 0 and extra:
            self.time += extra
        del bl[:n]


def simulate(path):
    with open(path) as fh:
        lines = fh.read().splitlines()
    cfg = read_config(lines)
    m = Machine(cfg)
    pos = [0.0, 0.0, 0.0, 0.0]
    feed = 0.0
    rel_e = False
    rel_xyz = False
    role = "none"
    layer = 0
    reported = None
    for raw in lines:
        if raw.startswith(";"):
            if raw.startswith(";TYPE:"):
                role = raw[6:].strip()
            elif raw.startswith(";LAYER_CHANGE"):
                layer += 1
            elif raw.startswith("; estimated printing time (normal mode)"):
                reported = seconds(raw.split("=", 1)[1])
            continue
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        word = line.split(None, 1)[0]
        if word in ("G1", "G0"):
            vals = dict((k, float(v)) for k, v in NUM.findall(line[len(word):]))
            if "F" in vals:
                feed = vals["F"] / 60.0
            new = list(pos)
            for i, a in enumerate("XYZE"):
                if a in vals:
                    rel = rel_e if a == "E" else rel_xyz
                    new[i] = pos[i] + vals[a] if rel else vals[a]
            delta = [new[i] - pos[i] for i in range(4)]
            pos = new
            if all(d == 0 for d in delta):
                continue
            if delta[3] < 0:
                kind = "travel" if (delta[0] or delta[1] or delta[2]) else "retract"
            elif delta[3] > 0:
                if delta[0] == 0 and delta[1] == 0:
                    kind = "unretract" if delta[2] == 0 else "travel"
                else:
                    kind = "extrude"
            else:
                kind = "travel"
            m.add(delta, feed, role if kind == "extrude" else kind, kind, layer)
        elif word == "G92":
            vals = dict((k, float(v)) for k, v in NUM.findall(line[3:]))
            for i, a in enumerate("XYZE"):
                if a in vals:
                    pos[i] = vals[a]
        elif word == "M83":
            rel_e = True
        elif word == "M82":
            rel_e = False
        elif word == "G91":
            rel_xyz = True
            rel_e = True
        elif word == "G90":
            rel_xyz = False
        elif word == "M204":
            vals = dict((k, float(v)) for k, v in NUM.findall(line[4:]))
            if "S" in vals:
                m.acc = m.clamp(vals["S"], m.max_acc)
                m.trav = m.clamp(vals["S"], m.max_trav)
                if "T" in vals:
                    m.ret = m.clamp(vals["T"], m.max_ret)
            else:
                if "P" in vals:
                    m.acc = m.clamp(vals["P"], m.max_acc)
                if "R" in vals:
                    m.ret = m.clamp(vals["R"], m.max_ret)
                if "T" in vals:
                    m.trav = m.clamp(vals["T"], m.max_trav)
        elif word == "G4":
            vals = dict((k, float(v)) for k, v in NUM.findall(line[2:]))
            extra = vals.get("S", 0.0) + vals.get("P", 0.0) / 1000.0
            m.calculate(0, extra)
            m.by_kind["dwell"] = m.by_kind.get("dwell", 0.0) + extra
    m.calculate(0)
    return {
        "time_s": m.time,
        "reported_s": reported,
        "by_role_s": {k: round(v, 1) for k, v in sorted(m.by_role.items())},
        "by_kind_s": {k: round(v, 1) for k, v in sorted(m.by_kind.items())},
        "layers": layer,
        "by_layer_role_s": m.by_layer_role,
    }


if __name__ == "__main__":
    r = simulate(sys.argv[1])
    if "--json" in sys.argv:
        print(json.dumps(r))
    else:
        print(f"simulated {r['time_s']:.0f} s, PrusaSlicer reported {r['reported_s']} s")
        for k, v in r["by_role_s"].items():
            print(f"  {k:32s} {v:10.1f} s")
        print("  by move type:", r["by_kind_s"])
