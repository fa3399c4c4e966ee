import json,sys,glob,collections
f=sorted(glob.glob(sys.argv[1]+'/*.cpuprofile'))[0]
names=sys.argv[2].split(',')
p=json.load(open(f))
nodes={n['id']:n for n in p['nodes']}
parent={}
for n in p['nodes']:
    for c in n.get('children',[]): parent[c]=n['id']
dt=collections.Counter()
for s,d in zip(p['samples'],p['timeDeltas']): dt[s]+=d
incl=collections.Counter()
for nid,t in dt.items():
    x=nid; seen=set()
    while x is not None:
        fn=nodes[x]['callFrame']['functionName']
        if fn in names and fn not in seen: incl[fn]+=t; seen.add(fn)
        x=parent.get(x)
for k in names: print(f'{incl[k]/1000:8.0f} {k}')
