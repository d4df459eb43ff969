-- %%   [markdown]  a  title  id="x\u0079"  cfg={"a": [1, {"b": null}]}  s="a b"	
-- text  

-- %% [code] [raw] t id="z"
