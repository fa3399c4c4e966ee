import json,sys,glob,collections
f=sorted(glob.glob(sys.argv[1]+'/*.cpuprofile'))[0]
target=sys.argv[2]
p=json.load(open(f))
nodes={n['id']:n for n in p['nodes']}
parent={}
for n in p['nodes']:
    for c in n.get('children',[]): parent[c]=n['id']
dt=collections.Counter()
for s,d in zip(p['samples'],p['timeDeltas']): dt[s]+=d
chains=collections.Counter()
for nid,t in dt.items():
    if nodes[nid]['callFrame']['functionName']!=target: continue
    chain=[]; x=parent.get(nid)
    while x is not None and len(chain)<40:
        cf=nodes[x]['callFrame']; 
        if cf['functionName']: chain.append(cf['functionName']+'@'+cf['url'].split('/')[-1]+':'+str(cf['lineNumber']))
        x=parent.get(x)
    chains[' < '.join([c for c in chain if 'node_modules' not in c and '@node:' not in c and 'stream_base' not in c and 'writable' not in c][:6])]+=t
for k,v in chains.most_common(8): print(f'{v/1000:7.0f} {k}\n')
