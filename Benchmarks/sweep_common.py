"""What the peer sweeps (seismic_sweep.py, bmp_sweep.py) share: the peer drivers' helpers
(../shared/tools/peers/common.py: loading, timing, TREC output) and the sweeps' common arguments."""
import argparse, os
import importlib.util as _iu

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'tools', 'peers')
_spec = _iu.spec_from_file_location('peers_common', os.path.join(PEERS, 'common.py'))
common = _iu.module_from_spec(_spec)
_spec.loader.exec_module(common)


def parser():
    """DOCS QUERIES OUTDIR, --k and --warmup; each sweep adds its knobs."""
    ap = argparse.ArgumentParser()
    ap.add_argument('docs'); ap.add_argument('queries'); ap.add_argument('out')
    ap.add_argument('--k', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=100)
    return ap
