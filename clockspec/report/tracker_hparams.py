"""TensorBoard's HParams dashboard, from its protocol buffers (no TensorFlow needed): the
family declares its varied paths and the clocks as metrics (`experiment`); each member
says its values (`session_start`)."""
from __future__ import annotations

import json
from typing import Any

from clockspec.report.tracking import Family


def _summary(tag: str, data: Any) -> Any:
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.plugins.hparams import metadata

    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=metadata.PLUGIN_NAME,
                                                                  content=data.SerializeToString()))
    return Summary(value=[Summary.Value(tag=tag, metadata=meta, tensor=metadata.NULL_TENSOR)])


def _value(v: Any) -> Any:
    from google.protobuf.struct_pb2 import Value

    if isinstance(v, bool):
        return Value(bool_value=v)
    if isinstance(v, (int, float)):
        return Value(number_value=float(v))
    return Value(string_value=v if isinstance(v, str) else json.dumps(v))


def session_start(assignment: dict[str, Any]) -> Any:
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    start = plugin_data_pb2.SessionStartInfo()
    for path, v in assignment.items():
        start.hparams[path].CopyFrom(_value(v))
    return _summary(metadata.SESSION_START_INFO_TAG, plugin_data_pb2.HParamsPluginData(
        version=metadata.PLUGIN_DATA_VERSION, session_start_info=start))


def experiment(family: Family, clocks: list[str]) -> Any:
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

    def kind(values: list[Any]) -> int:
        if all(isinstance(v, bool) for v in values):
            return api_pb2.DATA_TYPE_BOOL
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return api_pb2.DATA_TYPE_FLOAT64
        return api_pb2.DATA_TYPE_STRING

    exp = api_pb2.Experiment(
        name=family.name,
        hparam_infos=[api_pb2.HParamInfo(name=p, type=kind(vs)) for p, vs in family.varied.items()],
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=f"clock/{c}"), display_name=f"clock {c}")
                      for c in clocks])
    return _summary(metadata.EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(
        version=metadata.PLUGIN_DATA_VERSION, experiment=exp))
