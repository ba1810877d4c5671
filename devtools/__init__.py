"""Development tools, not runtime: the generated benchmark and demo data (`synth/`) and the
script that pretrains the shipped base model (`pretrain/`). The product never imports them,
except `brandvis demo-data`, which writes the generator's sample data."""
