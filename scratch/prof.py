import json,sys,glob,collections
for f in glob.glob(sys.argv[1]+'/*.cpuprofile'):
    p=json.load(open(f))
    nodes={n['id']:n for n in p['nodes']}
    dt=collections.Counter()
    samples=p['samples']; deltas=p['timeDeltas']
    for s,d in zip(samples,deltas): dt[s]+=d
    total=sum(dt.values())
    if total<1e6: continue
    self_=collections.Counter()
    for nid,t in dt.items():
        cf=nodes[nid]['callFrame']; self_[(cf['functionName'] or '(anon)')+' '+cf['url'].split('/')[-1]+':'+str(cf['lineNumber'])]+=t
    print(f, 'total ms', total/1000)
    for k,v in self_.most_common(25): print(f'{v/1000:8.0f} {k}')
