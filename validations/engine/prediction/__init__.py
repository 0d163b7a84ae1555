"""Training-outcome prediction (comprehensive tier) and the warranty helpers built on it.

No Django imports. ``predict.predict_outcome`` makes the prediction, ``terms.propose_terms`` turns
it into warranty terms, ``holdout.measure_on_holdout`` checks a warranty claim, and
``label_noise`` is the standard tier's label-noise check (confident learning via cleanlab).
"""
