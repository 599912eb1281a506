
ALTER TABLE "recipe" ADD COLUMN "public" boolean NOT NULL DEFAULT true;
  
