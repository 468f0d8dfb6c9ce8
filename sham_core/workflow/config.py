"""The workflow's grid: experiments x layer selections x methods x parameter points, as runs.

A run's output folder is ``results/runs/{experiment}/{layers}/{method}/{params}``, where
``params`` is a readable path such as ``p~90/k~32/seed~1`` (``conv.k~32/dense.p~90/seed~1``
for "both" runs, whose method is ``conv_method+dense_method``). Rules look runs up by that
path, so no value is ever parsed back from a file name. A grid entry's ``seeds`` (else the
config's top-level ``seeds``) repeat its compression and retraining once per seed. A pr_X
entry's ``prune_quantize: study`` adds ``pq~study`` to the path (survivors, the default, adds
nothing); ``prune_quantize: [survivors, study]`` runs both modes of each point side by side. An entry's
lists give their product, except for the keys named in its ``zip``, which go pairwise.
"""
import difflib
import itertools
import re
from dataclasses import dataclass, field

from ..compression.methods import METHODS, check_params, check_prune_quantize
from ..common.kinds import KINDS

# Grid keys that take {method: points}: a kind of kernel, or "all" (one method for every kind).
SINGLE_SELECTIONS = (*KINDS, "all")


@dataclass(frozen=True)
class Run:
    """One compression job: what to compress in which experiment, with which parameters."""

    experiment: str
    layers: str
    method: str
    params: dict = field(hash=False)
    seed: int = 1

    @property
    def point_path(self):
        """The parameter point without the seed: what repeated seeds have in common."""
        if self.layers == "both":
            return "/".join(f"{kind}.{part}" for kind in ("conv", "dense")
                            for part in _param_parts(self.params[kind]))
        return "/".join(_param_parts(self.params))

    @property
    def param_path(self):
        return f"{self.point_path}/seed~{self.seed}"

    @property
    def path(self):
        return f"{self.experiment}/{self.layers}/{self.method}/{self.param_path}"

    @property
    def config_label(self):
        """The study's label: k, p-k, p or q; "conv k / dense p or q" for "both" runs."""
        if self.layers == "both":
            return f"{_label(self.params['conv'])}/{_label(self.params['dense']).split('-')[0]}"
        return _label(self.params)

    def compress_args(self):
        """(method, params, prune_quantize) as ``sham_core.compression.compress`` takes them."""
        if self.layers == "both":
            conv, dense = self.method.split("+")
            params = {kind: _quantizer_params(self.params[kind]) for kind in ("conv", "dense")}
            modes = {kind: self.params[kind].get("prune_quantize", "survivors") for kind in ("conv", "dense")}
            return {"conv": conv, "dense": dense}, params, modes
        return self.method, _quantizer_params(self.params), self.params.get("prune_quantize", "survivors")

    @property
    def prune_quantize(self):
        """How the run's pr_X methods quantize: "study", "survivors", "" without pr_X, "conv/dense" if they differ."""
        if self.layers != "both":
            return _mode(self.method, self.params)
        modes = [_mode(method, self.params[kind]) for kind, method in zip(("conv", "dense"), self.method.split("+"))]
        distinct = {mode for mode in modes if mode}
        if len(distinct) > 1:
            return "/".join(modes)
        return distinct.pop() if distinct else ""


def _quantizer_params(params):
    """The compression parameters without the run's prune_quantize mode."""
    return {key: value for key, value in params.items() if key != "prune_quantize"}


def _mode(method, params):
    """A pr_X method's prune_quantize mode; "" for other methods."""
    meth = METHODS[method]
    if not (meth.prune and meth.quantize):
        return ""
    return params.get("prune_quantize", "survivors")


def _format(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


PARAM_ORDER = ("p", "k", "q", "sr", "rr")


def _param_parts(params):
    """key~value parts in a fixed key order, so that a path does not depend on the YAML's order."""
    parts = [f"{key}~{_format(params[key])}" for key in PARAM_ORDER if key in params]
    return parts + (["pq~study"] if params.get("prune_quantize") == "study" else [])


def _label(params):
    if "q" in params:
        return _format(params["q"])
    return "-".join(_format(params[key]) for key in ("p", "k") if key in params)


# The modules that register a built-in model's custom layers: every job that loads it imports them.
MODEL_IMPORTS = {"vit_mini": ("sham_core.models.transformer",)}


def experiment_imports(experiment):
    """The modules to import before loading the experiment's model: its imports, and its built-in model's."""
    own = () if experiment.get("model_file") else MODEL_IMPORTS.get(experiment["model"], ())
    return [*(experiment.get("imports") or []), *own] or None


def experiment_names(config):
    """Names of the configured experiments, in order: ``name`` or ``{model}-{dataset}``."""
    return [experiment_name(e) for e in config["experiments"]]


def experiment_name(experiment):
    return experiment.get("name") or f"{experiment['model']}-{experiment['dataset']}"


def expand_grid(config):
    """Every Run of the config, validated (ValueError naming the grid entry otherwise).

    An experiment with a ``grid`` of its own uses it instead of the top-level one.
    """
    runs = []
    default_seeds = config.get("seeds") or [config.get("seed", 1)]
    for experiment in config["experiments"]:
        grid = experiment.get("grid") or config.get("grid") or {}
        runs += _experiment_runs(experiment_name(experiment), grid, default_seeds)
    paths = [run.path for run in runs]
    if len(set(paths)) != len(paths):
        raise ValueError("the grid lists the same run twice; remove the duplicate values")
    return runs


def _experiment_runs(name, grid, default_seeds):
    runs = []
    for layers in SINGLE_SELECTIONS:
        for method, points in grid.get(layers, {}).items():
            runs += [Run(name, layers, method, params, seed)
                     for params in _points(method, points, layers) for seed in points.get("seeds", default_seeds)]
    for pair in grid.get("both", []):
        (conv_method, conv_grid), = pair["conv"].items()
        (dense_method, dense_grid), = pair["dense"].items()
        tied = pair.get("tie", [])
        for conv, dense in itertools.product(_points(conv_method, conv_grid, "conv"),
                                             _points(dense_method, dense_grid, "dense")):
            if all(conv.get(key) == dense.get(key) for key in tied):
                runs += [Run(name, "both", f"{conv_method}+{dense_method}", {"conv": conv, "dense": dense}, seed)
                         for seed in pair.get("seeds", default_seeds)]
    return runs


def _points(method, grid, layers):
    """The parameter points of one grid entry, e.g. {p: [50, 90], k: [32]} gives two."""
    where = f"grid.{layers}.{method}"
    if method not in METHODS:
        raise ValueError(f"{where}: unknown method {method!r}; choose one of {', '.join(METHODS)}")
    kinds = METHODS[method].kinds
    if layers not in kinds and not (layers == "all" and set(kinds) == set(KINDS)):
        needs = "; grid.all takes a method for every kind" if layers == "all" else ""
        raise ValueError(f"{where}: {method} applies to {', '.join(kinds)} kernels only{needs}")
    keys = [key for key in grid if key not in ("lambdas", "seeds", "prune_quantize", "zip")]
    points = []
    for params in _value_combinations(where, grid, keys):
        if "lambdas" in grid:
            params["lambdas"] = grid["lambdas"]
        try:
            points.append(check_params(METHODS[method], params))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    return [canonical(_restore_ints(dict(point, prune_quantize="study") if mode == "study" else point))
            for mode in _checked_modes(where, method, grid) for point in points]


def _value_combinations(where, grid, keys):
    """The entry's values as dicts: the product of the keys' lists, except that the lists of the keys
    named in ``zip`` go pairwise (``{p: [60, 95], k: [16, 64], zip: [p, k]}`` gives 60-16 and 95-64)."""
    zipped = list(grid.get("zip", []))
    unknown = [key for key in zipped if key not in keys]
    if unknown:
        raise ValueError(f"{where}: zip names {', '.join(map(str, unknown))}, which the entry does not list")
    lengths = {key: len(_as_list(grid[key])) for key in zipped}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{where}: zip takes {', '.join(zipped)} pairwise, so their lists need the same length; "
                         f"got {', '.join(f'{key}: {n}' for key, n in lengths.items())}")
    axes = [[dict(zip(zipped, values)) for values in zip(*(_as_list(grid[key]) for key in zipped))]] if zipped else []
    axes += [[{key: value} for value in _as_list(grid[key])] for key in keys if key not in zipped]
    for parts in itertools.product(*axes):
        params = {}
        for part in parts:
            params.update(part)
        yield {key: params[key] for key in keys}


def _checked_modes(where, method, grid):
    """The entry's prune_quantize modes (one, or a list to run both; default survivors); only pr_X may set them."""
    if "prune_quantize" not in grid:
        return ["survivors"]
    meth = METHODS[method]
    if not (meth.prune and meth.quantize):
        raise ValueError(f"{where}: prune_quantize applies to pr_cws, pr_pws, pr_uq and pr_ecsq only, "
                         f"not to {method}; remove it from this entry")
    try:
        return list(dict.fromkeys(check_prune_quantize(meth, mode) for mode in _as_list(grid["prune_quantize"])))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _restore_ints(params):
    """check_params gives floats for p, sr, rr; keep whole p readable in paths (90, not 90.0)."""
    return {key: int(value) if key == "p" and float(value).is_integer() else value
            for key, value in params.items()}


def canonical(value):
    """``value`` with every dict's keys sorted: rule params compare equal whatever the YAML's order."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def runs_by_path(config):
    """{run.path: run} for the rules' lookups."""
    return {run.path: run for run in expand_grid(config)}


def experiment_config(config, name):
    """The experiment entry called ``name``, with its dataset entry under "dataset_config"."""
    for experiment in config["experiments"]:
        if experiment_name(experiment) == name:
            dataset = config["datasets"].get(experiment["dataset"])
            if dataset is None:
                raise ValueError(f"experiment {name!r} names dataset {experiment['dataset']!r}, "
                                 f"which is not under datasets:")
            if experiment.get("model_file") and experiment.get("baseline_seeds"):
                raise ValueError(f"experiment {name!r}: baseline_seeds trains the baseline again, but model_file "
                                 f"gives a trained model; drop one of them")
            return dict(experiment, dataset_config=dataset)
    raise ValueError(f"no experiment called {name!r}")


def extra_baseline_seeds(experiment, seed):
    """The seeds an experiment's baseline is trained with beside the main baseline's ``seed`` (baseline_seeds)."""
    return [extra for extra in experiment.get("baseline_seeds", []) if extra != seed]


def schema_mismatches(schema):
    """Where the config schema (a dict) and the registries it lists disagree, as messages ([] if nowhere).

    The registries are the single source: METHODS (and their parameters), the selections, the
    general-purpose baselines (formats.BASELINES), the dataset sources and the optimizers.
    """
    from ..data.datasets import SOURCES
    from ..formats import BASELINES
    from ..training.fit import OPTIMIZERS
    defs = schema["$defs"]
    params = {key for method in METHODS.values() for key in method.params}
    expected = {
        "methods ($defs.method_grid)": (defs["method_grid"]["properties"], set(METHODS)),
        "parameters ($defs.params)": (set(defs["params"]["properties"]) - {"seeds", "prune_quantize", "zip"},
                                      params | {key for method in METHODS.values() for key in method.optional}),
        "zip keys ($defs.params.zip)": (defs["params"]["properties"]["zip"]["items"]["enum"], params),
        "tie keys ($defs.grid.both.tie)": (defs["grid"]["properties"]["both"]["items"]["properties"]["tie"]["items"]
                                           ["enum"], params),
        "selections ($defs.grid)": (defs["grid"]["properties"], {*SINGLE_SELECTIONS, "both"}),
        "baselines (encode.baselines)": (schema["properties"]["encode"]["properties"]["baselines"]["items"]["enum"],
                                         set(BASELINES)),
        "sources ($defs.dataset.source)": (defs["dataset"]["properties"]["source"]["enum"], set(SOURCES)),
        "optimizers ($defs.training.optimizer)": (defs["training"]["properties"]["optimizer"]["enum"],
                                                  set(OPTIMIZERS)),
    }
    messages = []
    for what, (listed, registered) in expected.items():
        listed = set(listed)
        if listed != registered:
            messages.append(f"{what}: the schema lacks {sorted(registered - listed)}, "
                            f"and lists {sorted(listed - registered)} that no registry has")
    return messages


def validate_config(config, schema):
    """Check ``config`` against the JSON schema file ``schema`` (absolute path) and fill in its defaults.

    A ValueError says what is wrong first (``schema_error_message``): a bare jsonschema error
    puts the key last, after a dump of the schema that can run to 55 lines.
    """
    import jsonschema
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate
    try:
        validate(config, schema)
    except WorkflowError as error:
        cause = error.__cause__ or error.__context__
        if not isinstance(cause, jsonschema.ValidationError):
            raise
        raise ValueError(schema_error_message(cause)) from None


def schema_error_message(error):
    """The key path and what is allowed there on the first line(s), then the schema rule that failed."""
    where = _key_path(error.absolute_path)
    details = "the schema's rule " + "/".join(str(part) for part in error.schema_path) + " failed"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        unknown = [key for key in error.instance
                   if key not in allowed and not any(re.search(pattern, key) for pattern in patterns)]
        lines = [f"config error at {_key_path([*error.absolute_path, key])}: unknown key"
                 f"{_did_you_mean(key, allowed)}" for key in unknown]
        lines.append(f"allowed keys at {where}: {', '.join(allowed)}"
                     + "".join(f", or keys matching {pattern}" for pattern in patterns))
        return "\n".join([*lines, f"details: {error.message}; {details}"])
    message = error.message if len(error.message) <= 300 else error.message[:300] + " ..."
    if error.validator in ("oneOf", "anyOf"):
        message += "; allowed: " + " or ".join(_describe(option) for option in error.validator_value)
    return f"config error at {where}: {message}\ndetails: {details}"


def _key_path(parts):
    """``experiments[0].retrain.epochs`` for the parts ("experiments", 0, "retrain", "epochs")."""
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).lstrip(".")
    return path or "the top level"


def _describe(schema):
    """A schema in a few words: "number", "array of number", "one of 'a', 'b'", "integer >= 1"."""
    if "enum" in schema:
        return "one of " + ", ".join(map(repr, schema["enum"]))
    text = str(schema.get("type", "a value as the schema describes"))
    if "items" in schema:
        text += f" of {_describe(schema['items'])}"
    bounds = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    return text + "".join(f" {sign} {schema[key]}" for key, sign in bounds.items() if key in schema)


def _did_you_mean(key, allowed):
    """The hint " (did you mean 'retrain'?)" for a near miss among ``allowed``; else empty."""
    close = difflib.get_close_matches(str(key), allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
