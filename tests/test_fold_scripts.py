"""The one-fold scripts' shared command line (bench, checks, probes): the arguments name a
profile's scratch fold, and results go to results/bench unless told otherwise."""
from medlib.experiments.fold_scripts import fold_parser, out_dir, scratch_job


def test_the_arguments_name_a_scratch_fold_of_the_profile():
    ap = fold_parser("doc", dataset="cov_ct", epochs=12)
    args = ap.parse_args(["--network", "xception", "--fold", "3"])
    job = scratch_job(args)
    assert (job.dataset, job.network, job.strategy, job.fold, job.profile) == ("cov_ct", "xception", "scratch", 3, "extended")
    assert args.epochs == 12 and "--epochs" not in fold_parser("doc").format_help()


def test_results_go_to_bench_under_the_results_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLIB_RESULTS_DIR", str(tmp_path / "results"))
    assert out_dir(fold_parser(None).parse_args([])) == tmp_path / "results" / "bench"
    assert (tmp_path / "results" / "bench").is_dir()
    assert out_dir(fold_parser(None).parse_args(["--out", str(tmp_path / "x")])) == tmp_path / "x"
