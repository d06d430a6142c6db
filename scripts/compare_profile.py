#!/usr/bin/env python3
"""Our FDM estimate against PrusaSlicer rows of one profile.

Usage (from the repo root):
  scripts/compare_profile.py target/release/pricing fixtures/accuracy/rows/draft-grid-off.jsonl \
      fixtures/accuracy/profiles/draft-grid.ini [--roles]
Prints the signed error per mesh and the median / p90 of the absolute errors (time,
filament, and with supports the support filament of both support roles).
Rows come from scripts/slice_reference.py (PrusaSlicer 2.5).
"""
import json,subprocess,sys,statistics as st
binp,rows,prof=sys.argv[1:4]; roles='--roles' in sys.argv
def est(f,scale,sup):
    out=subprocess.run([binp,'estimate','--json','--profile',prof,'--scale',str(scale),'--supports','on' if sup else 'off','fixtures/corpus/'+f],capture_output=True,text=True)
    try: return json.loads(out.stdout.splitlines()[-1])
    except Exception: return None
res={}
for line in open(rows):
    r=json.loads(line)
    for key,sup in (('no_supports',False),('with_supports',True)):
        ref=r.get(key)
        if not ref or 'error' in ref: continue
        e=est(r['file'],r['scale'],sup)
        if not e: print('fail',r['file']); continue
        est_=e.get('estimate',e)
        t=est_['print_time_s']; m=est_['material_mm3']
        et=100*(t/ref['time_s']-1); em=100*(m/ref['filament_mm3']-1)
        res.setdefault(key,[]).append((r['file'],et,em))
        # Support filament (both support roles), where PrusaSlicer made any.
        fr=ref.get('filament_mm3_by_role',{})
        rs=fr.get('Support material',0)+fr.get('Support material interface',0)
        if sup and rs>0:
            br=est_.get('by_role',{})
            os_=br.get('support',{}).get('mm3',0)+br.get('support_interface',{}).get('mm3',0)
            res.setdefault('support_filament',[]).append((r['file'],0.0,100*(os_/rs-1)))
        extra=''
        if roles:
            br=est_.get('by_role',{})
            extra=' '.join(f"{k}:{v['seconds']:.0f}" for k,v in br.items() if v['seconds']>0)
            extra+=' | ref '+' '.join(f"{k}:{v:.0f}" for k,v in ref.get('time_s_by_role',{}).items())
        print(f"{key[:2]} {r['file'][:22]:22s} time {et:+6.1f}% fil {em:+6.1f}% {extra}")
p90=lambda a:a[min(len(a)-1,int(round(0.9*(len(a)-1))))]
for key,v in res.items():
    at=sorted(abs(x[1]) for x in v); am=sorted(abs(x[2]) for x in v)
    if key=='support_filament':
        print(f"{key}: n={len(v)} median {st.median(am):.1f} p90 {p90(am):.1f}")
        continue
    print(f"{key}: n={len(v)} time median {st.median(at):.1f} p90 {p90(at):.1f} | fil median {st.median(am):.1f} p90 {p90(am):.1f}")
