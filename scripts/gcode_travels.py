import re,math,sys,collections
f=sys.argv[1]
role=None;x=y=None;layer=0;trav=[];retracted=False;last_role=None
for line in open(f):
    if line.startswith(';TYPE:'): role=line[6:].strip(); continue
    if line.startswith(';LAYER_CHANGE'): layer+=1; continue
    if line.startswith('G1'):
        mx=re.search(r' X([-\d.]+)',line); my=re.search(r' Y([-\d.]+)',line); me=re.search(r' E([-\d.]+)',line)
        nx=float(mx.group(1)) if mx else x; ny=float(my.group(1)) if my else y
        if me and not (mx or my):
            if float(me.group(1))<0: retracted=True
        elif (mx or my) and not me and x is not None:
            d=math.hypot(nx-x,ny-y)
            if d>0: trav.append((layer,last_role,d,retracted)); retracted=False
        elif me: last_role=role
        x,y=nx,ny
L=max(1,layer)
print('layers',layer,'travels',len(trav),'per layer',len(trav)/L)
by=collections.defaultdict(list)
for t in trav: by[(t[1],t[3])].append(t[2])
for k,v in sorted(by.items(),key=lambda kv:-len(kv[1])):
    v.sort(); print(k, len(v)/L, 'median', round(v[len(v)//2],2), 'mean', round(sum(v)/len(v),2))
